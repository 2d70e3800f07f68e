"""``supervisor.*`` methods that act on processes and their logs.

Each call resolves a namespec to an engine snapshot, applies supervisord's
state checks, then awaits the engine (which posts a command to the
process's task: ``wait=True`` is an awaited future, never a poll).
Group and "all" calls run the per-process calls concurrently and report
results in completion order, as supervisord does.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from minder.engine.api import EngineAPI, ProcessSnapshot
from minder.engine.logs.reader import read_range, tail
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.names import split_namespec as _split_text
from minder.protocol.results import CallResult, ProcessInfo
from minder.protocol.states import RUNNING_STATES, SIGNALLABLE_STATES
from minder.rpc.infocache import ProcessInfoCache
from minder.rpc.structs import as_text, call_result

# Faults whose extra text is the name the caller used (``ALREADY_STARTED: g:a``).
_NAMED_FAULTS = frozenset(
    {
        Faults.BAD_NAME,
        Faults.ALREADY_STARTED,
        Faults.NOT_RUNNING,
        Faults.SPAWN_ERROR,
        Faults.ABNORMAL_TERMINATION,
    }
)


@contextmanager
def named(namespec: str) -> Iterator[None]:
    """Re-label per-process faults with the name the caller used."""
    try:
        yield
    except SupervisorFault as fault:
        if fault.code in _NAMED_FAULTS and fault.extra != namespec:
            raise SupervisorFault(fault.code, namespec) from None
        raise


def split_namespec(name: Any) -> tuple[str, str | None]:
    """Like protocol.names.split_namespec, but a non-string name is a fault."""
    if not isinstance(name, str):
        raise SupervisorFault(Faults.INCORRECT_PARAMETERS, repr(name))
    return _split_text(name)


def parse_signal(value: Any) -> int:
    """A signal given as a name (``HUP``, ``SIGHUP``) or a number string."""
    text = str(value).strip()
    try:
        number = int(text)
    except ValueError:
        name = text.upper()
        if not name.startswith("SIG"):
            name = "SIG" + name
        try:
            number = int(signal.Signals[name])
        except KeyError:
            raise SupervisorFault(Faults.BAD_SIGNAL, str(value)) from None
    if number not in signal.valid_signals():
        raise SupervisorFault(Faults.BAD_SIGNAL, str(value))
    return number


def start_order(snaps: list[ProcessSnapshot]) -> list[ProcessSnapshot]:
    return sorted(snaps, key=lambda s: (s.group_priority, s.group, s.spec.priority, s.name))


class ProcessMethods:
    def __init__(self, api: EngineAPI) -> None:
        self._api = api
        self._infos = ProcessInfoCache()

    # --- resolution -------------------------------------------------------
    def _process(self, namespec: str) -> ProcessSnapshot:
        group, name = split_namespec(namespec)
        if name is None:
            raise SupervisorFault(Faults.BAD_NAME, namespec)
        with named(namespec):
            return self._api.snapshot(group, name)

    def _group(self, group: Any, shown: Any) -> list[ProcessSnapshot]:
        if not isinstance(group, str):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, repr(group))
        with named(shown):
            return self._api.group_snapshots(group)

    async def _each(
        self,
        snaps: list[ProcessSnapshot],
        action: Callable[[ProcessSnapshot, str], Awaitable[None]],
    ) -> list[CallResult]:
        results: list[CallResult] = []

        async def one(snap: ProcessSnapshot) -> None:
            namespec = make_namespec(snap.group, snap.name)
            try:
                with named(namespec):
                    await action(snap, namespec)
            except SupervisorFault as fault:
                results.append(call_result(snap, fault))
            else:
                results.append(call_result(snap, None))

        await asyncio.gather(*(one(s) for s in snaps))
        return results

    # --- start ------------------------------------------------------------
    async def _start_one(self, snap: ProcessSnapshot, namespec: str, wait: bool) -> None:
        if snap.state in RUNNING_STATES:
            raise SupervisorFault(Faults.ALREADY_STARTED, namespec)
        await self._api.start_process(snap.group, snap.name, wait=bool(wait))

    async def startProcess(self, name: str, wait: bool = True) -> Any:
        """Start a process (``group:*`` starts the group and returns its results).

        @param string name process name, ``group:name`` or ``group:*``
        @param boolean wait wait until the process is RUNNING
        @return boolean result always true unless an error occurred
        """
        group, proc = split_namespec(name)
        if proc is None:
            return await self._start_group(group, name, wait)
        snap = self._process(name)
        with named(name):
            await self._start_one(snap, name, wait)
        return True

    async def _start_group(self, group: str, shown: str, wait: bool) -> list[CallResult]:
        targets = [s for s in self._group(group, shown) if s.state not in RUNNING_STATES]
        return await self._each(targets, lambda s, n: self._start_one(s, n, wait))

    async def startProcessGroup(self, name: str, wait: bool = True) -> list[CallResult]:
        """Start every process of a group that is not already running.

        @param string name the group name
        @param boolean wait wait until each process is RUNNING
        @return array result an array of process status info structs
        """
        return await self._start_group(name, name, wait)

    async def startAllProcesses(self, wait: bool = True) -> list[CallResult]:
        """Start every process that is not running, in priority order.

        @param boolean wait wait until each process is RUNNING
        @return array result an array of process status info structs
        """
        targets = [s for s in start_order(self._api.snapshots()) if s.state not in RUNNING_STATES]
        return await self._each(targets, lambda s, n: self._start_one(s, n, wait))

    # --- stop -------------------------------------------------------------
    async def _stop_one(self, snap: ProcessSnapshot, namespec: str, wait: bool) -> None:
        if not snap.stoppable:
            raise SupervisorFault(Faults.NOT_RUNNING, namespec)
        await self._api.stop_process(snap.group, snap.name, wait=bool(wait))

    async def stopProcess(self, name: str, wait: bool = True) -> Any:
        """Stop a process (``group:*`` stops the group and returns its results).

        @param string name process name, ``group:name`` or ``group:*``
        @param boolean wait wait until the process is stopped
        @return boolean result always true unless an error occurred
        """
        group, proc = split_namespec(name)
        if proc is None:
            return await self._stop_group(group, name, wait)
        snap = self._process(name)
        with named(name):
            await self._stop_one(snap, name, wait)
        return True

    async def _stop_many(self, targets: list[ProcessSnapshot], wait: bool) -> list[CallResult]:
        """A group's or every process's stop: one engine call signals them all in one pass."""
        outcomes = await self._api.stop_processes([(s.group, s.name) for s in targets], bool(wait))
        return [call_result(targets[index], fault) for index, fault in outcomes]

    async def _stop_group(self, group: str, shown: str, wait: bool) -> list[CallResult]:
        snaps = self._group(group, shown)
        targets = [s for s in reversed(snaps) if s.stoppable]
        return await self._stop_many(targets, wait)

    async def stopProcessGroup(self, name: str, wait: bool = True) -> list[CallResult]:
        """Stop every running process of a group.

        @param string name the group name
        @param boolean wait wait until each process is stopped
        @return array result an array of process status info structs
        """
        return await self._stop_group(name, name, wait)

    async def stopAllProcesses(self, wait: bool = True) -> list[CallResult]:
        """Stop every running process, in reverse priority order.

        @param boolean wait wait until each process is stopped
        @return array result an array of process status info structs
        """
        ordered = list(reversed(start_order(self._api.snapshots())))
        targets = [s for s in ordered if s.stoppable]
        return await self._stop_many(targets, wait)

    # --- signal -----------------------------------------------------------
    async def _signal_one(self, snap: ProcessSnapshot, namespec: str, sig: Any) -> None:
        number = parse_signal(sig)
        if snap.state not in SIGNALLABLE_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, namespec)
        await self._api.signal_process(snap.group, snap.name, number)

    async def signalProcess(self, name: str, sig: str) -> Any:
        """Send a signal to a process (``group:*``: to the group).

        @param string name process name, ``group:name`` or ``group:*``
        @param string signal signal name (``HUP``) or number
        @return boolean result always true unless an error occurred
        """
        group, proc = split_namespec(name)
        if proc is None:
            return await self._signal_group(group, name, sig)
        snap = self._process(name)
        with named(name):
            await self._signal_one(snap, name, sig)
        return True

    async def _signal_group(self, group: str, shown: str, sig: Any) -> list[CallResult]:
        targets = [s for s in self._group(group, shown) if s.state in SIGNALLABLE_STATES]
        return await self._each(targets, lambda s, n: self._signal_one(s, n, sig))

    async def signalProcessGroup(self, name: str, sig: str) -> list[CallResult]:
        """Send a signal to every signallable process of a group.

        @param string name the group name
        @param string signal signal name or number
        @return array result an array of process status info structs
        """
        return await self._signal_group(name, name, sig)

    async def signalAllProcesses(self, sig: str) -> list[CallResult]:
        """Send a signal to every signallable process.

        @param string signal signal name or number
        @return array result an array of process status info structs
        """
        snaps = [s for s in self._api.snapshots() if s.state in SIGNALLABLE_STATES]
        return await self._each(snaps, lambda s, n: self._signal_one(s, n, sig))

    # --- info -------------------------------------------------------------
    async def getProcessInfo(self, name: str) -> ProcessInfo:
        """Describe one process.

        @param string name process name or ``group:name``
        @return struct result a process info struct
        """
        return self._infos.info(self._process(name))

    async def getAllProcessInfo(self) -> list[ProcessInfo]:
        """Describe every process, ordered by group name then process name.

        @return array result an array of process info structs
        """
        return self._infos.all(self._api.snapshots())

    # --- logs -------------------------------------------------------------
    def _log_path(self, name: str, channel: str) -> str | None:
        snap = self._process(name)
        return self._api.log_path(snap.group, snap.name, channel)

    def _read(self, name: str, channel: str, offset: int, length: int) -> str:
        return as_text(read_range(self._log_path(name, channel), offset, length))

    def _tail(self, name: str, channel: str, offset: int, length: int) -> list[Any]:
        data, size, overflow = tail(self._log_path(name, channel), offset, length)
        return [as_text(data), size, overflow]

    async def readProcessStdoutLog(self, name: str, offset: int, length: int) -> str:
        """Read bytes of a process's stdout log (same offset rules as readLog).

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length number of bytes to read (0: to the end)
        @return string log the bytes read, as text
        """
        return self._read(name, "stdout", offset, length)

    async def readProcessStderrLog(self, name: str, offset: int, length: int) -> str:
        """Read bytes of a process's stderr log (same offset rules as readLog).

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length number of bytes to read (0: to the end)
        @return string log the bytes read, as text
        """
        return self._read(name, "stderr", offset, length)

    async def tailProcessStdoutLog(self, name: str, offset: int, length: int) -> list[Any]:
        """Follow a process's stdout log: bytes past ``offset``, at most ``length``.

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length maximum number of bytes to return
        @return array result [string bytes, int offset, bool overflow]
        """
        return self._tail(name, "stdout", offset, length)

    async def tailProcessStderrLog(self, name: str, offset: int, length: int) -> list[Any]:
        """Follow a process's stderr log: bytes past ``offset``, at most ``length``.

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length maximum number of bytes to return
        @return array result [string bytes, int offset, bool overflow]
        """
        return self._tail(name, "stderr", offset, length)

    async def clearProcessLogs(self, name: str) -> bool:
        """Empty a process's stdout and stderr logs.

        @param string name process name or ``group:name``
        @return boolean result always true unless an error occurred
        """
        snap = self._process(name)
        with named(name):
            self._api.clear_process_logs(snap.group, snap.name)
        return True

    async def clearAllProcessLogs(self) -> list[CallResult]:
        """Empty the logs of every process.

        @return array result an array of process status info structs
        """

        async def clear(snap: ProcessSnapshot, namespec: str) -> None:
            self._api.clear_process_logs(snap.group, snap.name)

        return await self._each(self._api.snapshots(), clear)

    # --- stdin ------------------------------------------------------------
    async def sendProcessStdin(self, name: str, chars: Any) -> bool:
        """Write data to a running process's stdin.

        @param string name process name or ``group:name``
        @param string chars the data to send (UTF-8 encoded)
        @return boolean result always true unless an error occurred
        """
        if isinstance(chars, str):
            chars = chars.encode("utf-8")
        if not isinstance(chars, bytes):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, str(chars))
        snap = self._process(name)
        if not snap.pid:
            raise SupervisorFault(Faults.NOT_RUNNING, name)
        with named(name):
            await self._api.send_stdin(snap.group, snap.name, chars)
        return True


ALIASES = {
    "readProcessLog": "readProcessStdoutLog",
    "tailProcessLog": "tailProcessStdoutLog",
    "clearProcessLog": "clearProcessLogs",
}
