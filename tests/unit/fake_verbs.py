"""The group/all forms of the control verbs for the unit tests' fake engines.

The real engine decides these in engine/control.py; the fakes build them
from their one-process verbs with the same rules (eligibility, supervisord's
order, outcomes in order), so front-end unit tests see engine-shaped answers.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from minder.engine.api import GroupUpdate, LogRef, LogSlice, Outcome, ProcessSnapshot, Usage
from minder.engine.bus import EventBus
from minder.engine.logs.access import LogAccess
from minder.engine.logs.follow import LogFollower
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.signals import BadSignal, parse_signal
from minder.protocol.states import RUNNING_STATES, SIGNALLABLE_STATES

Verb = Callable[[str, str], Awaitable[None]]


def signum_of(sig: object) -> int:
    try:
        return parse_signal(sig)
    except BadSignal:
        raise SupervisorFault(Faults.BAD_SIGNAL, str(sig)) from None


class FakeVerbs:
    """Mixed into a fake that has snapshots/group_snapshots and the one-process verbs."""

    def snapshots(self) -> list[ProcessSnapshot]:
        raise NotImplementedError

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        raise NotImplementedError

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        raise NotImplementedError

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        raise NotImplementedError

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        raise NotImplementedError

    def clear_process_logs(self, group: str, name: str) -> None:
        raise NotImplementedError

    def _ordered(self, group: str | None) -> list[ProcessSnapshot]:
        snaps = self.snapshots() if group is None else self.group_snapshots(group)
        return sorted(snaps, key=lambda s: (s.group_priority, s.group, s.spec.priority, s.name))

    async def _each(self, snaps: list[ProcessSnapshot], verb: Verb) -> list[Outcome]:
        outcomes = []
        for snap in snaps:
            try:
                await verb(snap.group, snap.name)
            except SupervisorFault as fault:
                outcomes.append(Outcome(snap.group, snap.name, fault))
            else:
                outcomes.append(Outcome(snap.group, snap.name, None))
        return outcomes

    async def restart_process(self, group: str, name: str, wait: bool = True) -> None:
        if self.snapshot(group, name).state in RUNNING_STATES:
            await self.stop_process(group, name, True)
        await self.start_process(group, name, wait)

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        raise NotImplementedError

    async def start_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        targets = [s for s in self._ordered(group) if s.state not in RUNNING_STATES]
        return await self._each(targets, lambda g, n: self.start_process(g, n, wait))

    async def stop_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        targets = [s for s in reversed(self._ordered(group)) if s.state in RUNNING_STATES]
        return await self._each(targets, lambda g, n: self.stop_process(g, n, wait))

    async def restart_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        stops = {(o.group, o.name): o for o in await self.stop_processes(group, True)}
        starts = {(o.group, o.name): o for o in await self.start_processes(group, wait)}
        results = []
        for snap in self._ordered(group):
            key = (snap.group, snap.name)
            stop = stops.get(key)
            if stop is not None and stop.fault is not None:
                results.append(stop)
            elif key in starts:
                results.append(starts[key])
        return results

    async def signal_processes(self, group: str | None, sig: object) -> list[Outcome]:
        targets = [s for s in self._ordered(group) if s.state in SIGNALLABLE_STATES]
        return await self._each(targets, lambda g, n: self.signal_process(g, n, sig))

    async def clear_processes_logs(self, group: str | None) -> list[Outcome]:
        async def clear(g: str, n: str) -> None:
            self.clear_process_logs(g, n)

        return await self._each(self._ordered(group), clear)

    async def update_all(self) -> list[GroupUpdate]:
        return []

    # --- logs: the engine's own reader, on the fake's paths ---------------
    def log_path(self, group: str, name: str, channel: str) -> str | None:
        raise NotImplementedError

    def main_log_path(self) -> str | None:
        raise NotImplementedError

    def _logs(self) -> LogAccess:
        def path_of(ref: LogRef) -> str | None:
            if ref.group is None or ref.name is None:
                return self.main_log_path()
            return self.log_path(ref.group, ref.name, ref.channel)

        return LogAccess(path_of, EventBus())

    async def read_log(self, ref: LogRef, offset: int, length: int) -> bytes:
        return await self._logs().read(ref, offset, length)

    async def tail_log(self, ref: LogRef, offset: int, length: int) -> tuple[bytes, int, bool]:
        return await self._logs().tail(ref, offset, length)

    async def read_log_slice(self, ref: LogRef, offset: int | None, length: int) -> LogSlice:
        return await self._logs().read_slice(ref, offset, length)

    def follow_log(self, ref: LogRef, from_bytes: int, chunk_size: int) -> LogFollower:
        return self._logs().follow(ref, from_bytes, chunk_size)

    async def usage(self) -> tuple[Usage | None, dict[int, Usage]]:
        return None, {}
