"""``supervisor.*`` methods that act on processes and their logs.

These only marshal: split the namespec once, call the engine's verb
(engine/control.py decides eligibility, order, checks and their order) and
turn its outcomes into supervisord's result structs. Per-process faults are
re-labelled with the name the caller used, as supervisord reports them.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any

from minder.engine.api import EngineAPI, LogRef, Outcome, ProcessSnapshot, collections_paused
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import split_namespec as _split_text
from minder.protocol.results import CallResult, ProcessInfo
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


def _group_name(group: Any) -> str:
    if not isinstance(group, str):
        raise SupervisorFault(Faults.INCORRECT_PARAMETERS, repr(group))
    return group


def _results(outcomes: list[Outcome]) -> list[CallResult]:
    return [call_result(o.group, o.name, o.fault) for o in outcomes]


class ProcessMethods:
    def __init__(self, api: EngineAPI) -> None:
        self._api = api
        self._infos = ProcessInfoCache()

    def _process(self, namespec: str) -> ProcessSnapshot:
        group, name = split_namespec(namespec)
        if name is None:
            raise SupervisorFault(Faults.BAD_NAME, namespec)
        with named(namespec):
            return self._api.snapshot(group, name)

    async def _one_or_group(
        self,
        name: str,
        one: Callable[[str, str], Awaitable[None]],
        group_form: Callable[[str], Awaitable[list[CallResult]]],
    ) -> Any:
        """``g:name`` acts on one process (True); ``g:*`` on the group (its results)."""
        group, proc = split_namespec(name)
        with named(name):  # supervisord names faults as the caller wrote the name
            if proc is None:
                return await group_form(group)
            await one(group, proc)
        return True

    # --- start ------------------------------------------------------------
    async def startProcess(self, name: str, wait: bool = True) -> Any:
        """Start a process (``group:*`` starts the group and returns its results).

        @param string name process name, ``group:name`` or ``group:*``
        @param boolean wait wait until the process is RUNNING
        @return boolean result always true unless an error occurred
        """
        return await self._one_or_group(
            name,
            lambda group, proc: self._api.start_process(group, proc, bool(wait)),
            lambda group: self.startProcessGroup(group, wait),
        )

    async def startProcessGroup(self, name: str, wait: bool = True) -> list[CallResult]:
        """Start every process of a group that is not already running.

        @param string name the group name
        @param boolean wait wait until each process is RUNNING
        @return array result an array of process status info structs
        """
        return _results(await self._api.start_processes(_group_name(name), bool(wait)))

    async def startAllProcesses(self, wait: bool = True) -> list[CallResult]:
        """Start every process that is not running, in priority order.

        @param boolean wait wait until each process is RUNNING
        @return array result an array of process status info structs
        """
        return _results(await self._api.start_processes(None, bool(wait)))

    # --- stop -------------------------------------------------------------
    async def stopProcess(self, name: str, wait: bool = True) -> Any:
        """Stop a process (``group:*`` stops the group and returns its results).

        @param string name process name, ``group:name`` or ``group:*``
        @param boolean wait wait until the process is stopped
        @return boolean result always true unless an error occurred
        """
        return await self._one_or_group(
            name,
            lambda group, proc: self._api.stop_process(group, proc, bool(wait)),
            lambda group: self.stopProcessGroup(group, wait),
        )

    async def stopProcessGroup(self, name: str, wait: bool = True) -> list[CallResult]:
        """Stop every running process of a group.

        @param string name the group name
        @param boolean wait wait until each process is stopped
        @return array result an array of process status info structs
        """
        return _results(await self._api.stop_processes(_group_name(name), bool(wait)))

    async def stopAllProcesses(self, wait: bool = True) -> list[CallResult]:
        """Stop every running process, in reverse priority order.

        @param boolean wait wait until each process is stopped
        @return array result an array of process status info structs
        """
        return _results(await self._api.stop_processes(None, bool(wait)))

    # --- signal -----------------------------------------------------------
    async def signalProcess(self, name: str, sig: str) -> Any:
        """Send a signal to a process (``group:*``: to the group).

        @param string name process name, ``group:name`` or ``group:*``
        @param string signal signal name (``HUP``) or number
        @return boolean result always true unless an error occurred
        """
        return await self._one_or_group(
            name,
            lambda group, proc: self._api.signal_process(group, proc, sig),
            lambda group: self.signalProcessGroup(group, sig),
        )

    async def signalProcessGroup(self, name: str, sig: str) -> list[CallResult]:
        """Send a signal to every signallable process of a group.

        @param string name the group name
        @param string signal signal name or number
        @return array result an array of process status info structs
        """
        return _results(await self._api.signal_processes(_group_name(name), sig))

    async def signalAllProcesses(self, sig: str) -> list[CallResult]:
        """Send a signal to every signallable process.

        @param string signal signal name or number
        @return array result an array of process status info structs
        """
        return _results(await self._api.signal_processes(None, sig))

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
        with collections_paused():
            return self._infos.all(self._api.snapshots())

    def all_info_json(self) -> str:
        """getAllProcessInfo's array as one JSON text (not an RPC method itself:
        ``minder.getAllProcessInfoJSON`` answers it, from the same cache)."""
        with collections_paused():
            return self._infos.all_json(self._api.snapshots())

    # --- logs -------------------------------------------------------------
    def _log_ref(self, name: str, channel: str) -> LogRef:
        group, proc = split_namespec(name)
        if proc is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        return LogRef(group, proc, channel)

    async def _read(self, name: str, channel: str, offset: int, length: int) -> str:
        with named(name):
            return as_text(await self._api.read_log(self._log_ref(name, channel), offset, length))

    async def _tail(self, name: str, channel: str, offset: int, length: int) -> list[Any]:
        with named(name):
            ref = self._log_ref(name, channel)
            data, size, overflow = await self._api.tail_log(ref, offset, length)
        return [as_text(data), size, overflow]

    async def readProcessStdoutLog(self, name: str, offset: int, length: int) -> str:
        """Read bytes of a process's stdout log (same offset rules as readLog).

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length number of bytes to read (0: to the end)
        @return string log the bytes read, as text
        """
        return await self._read(name, "stdout", offset, length)

    async def readProcessStderrLog(self, name: str, offset: int, length: int) -> str:
        """Read bytes of a process's stderr log (same offset rules as readLog).

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length number of bytes to read (0: to the end)
        @return string log the bytes read, as text
        """
        return await self._read(name, "stderr", offset, length)

    async def tailProcessStdoutLog(self, name: str, offset: int, length: int) -> list[Any]:
        """Follow a process's stdout log: bytes past ``offset``, at most ``length``.

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length maximum number of bytes to return
        @return array result [string bytes, int offset, bool overflow]
        """
        return await self._tail(name, "stdout", offset, length)

    async def tailProcessStderrLog(self, name: str, offset: int, length: int) -> list[Any]:
        """Follow a process's stderr log: bytes past ``offset``, at most ``length``.

        @param string name process name or ``group:name``
        @param int offset offset to start reading from
        @param int length maximum number of bytes to return
        @return array result [string bytes, int offset, bool overflow]
        """
        return await self._tail(name, "stderr", offset, length)

    async def clearProcessLogs(self, name: str) -> bool:
        """Empty a process's stdout and stderr logs.

        @param string name process name or ``group:name``
        @return boolean result always true unless an error occurred
        """
        group, proc = split_namespec(name)
        if proc is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        with named(name):
            self._api.clear_process_logs(group, proc)
        return True

    async def clearAllProcessLogs(self) -> list[CallResult]:
        """Empty the logs of every process.

        @return array result an array of process status info structs
        """
        return _results(await self._api.clear_processes_logs(None))

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
        group, proc = split_namespec(name)
        if proc is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        with named(name):
            await self._api.send_stdin(group, proc, chars)
        return True


ALIASES = {
    "readProcessLog": "readProcessStdoutLog",
    "tailProcessLog": "tailProcessStdoutLog",
    "clearProcessLog": "clearProcessLogs",
}
