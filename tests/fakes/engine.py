"""The one in-memory EngineAPI of the front ends' unit tests.

It keeps processes as plain records that change state at once, follows
supervisord's refusals for one process (BAD_NAME, ALREADY_STARTED,
NOT_RUNNING, BAD_SIGNAL with the engine's own signal parser), publishes the
engine's domain events to subscribers, and records every engine call in
``calls`` so a test can check what a front end asked for. Group/all verbs
apply the engine's rules (eligibility, supervisord's order, one outcome
each); logs are read by the engine's own reader on the fake's paths.

mypy checks it against EngineAPI (``_conforms`` below; tests/fakes is in
mypy's files), so a new EngineAPI method that the fake lacks fails
``make typecheck`` rather than a test run.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import Any

from minder.engine.api import (
    ConfigDiff,
    ConfigEntry,
    EngineAPI,
    GroupUpdate,
    LogRef,
    LogSlice,
    LogStream,
    Outcome,
    ProcessSnapshot,
    RolloutStep,
    Usage,
)
from minder.engine.bus import EventBus
from minder.engine.logs.access import LogAccess
from minder.model.events import DomainEvent, GroupAdded, GroupRemoved, ProcessStateChanged
from minder.model.specs import GroupKind, GroupSpec, ProcessSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.signals import BadSignal, parse_signal
from minder.protocol.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    STOPPED_STATES,
    ProcessState,
    SupervisorState,
)

NOW = 1_800_000_000.0

Call = tuple[Any, ...]


@dataclasses.dataclass
class FakeProcess:
    group: str
    name: str
    spec: ProcessSpec
    state: ProcessState = ProcessState.STOPPED
    pid: int = 0
    start: float = 0.0
    stop: float = 0.0
    exitstatus: int = 0
    spawnerr: str = ""
    stdout_logfile: str = ""
    stderr_logfile: str = ""
    group_priority: int = 999
    fail_start: str = ""  # a spawnerr: the next start fails with SPAWN_ERROR
    signals: list[int] = dataclasses.field(default_factory=list)
    cleared: int = 0


class FakeSubscription:
    def __init__(self, owner: FakeEngine, logs: bool, maxsize: int) -> None:
        self.owner = owner
        self.logs = logs
        self.queue: deque[DomainEvent] = deque(maxlen=maxsize)
        self.dropped = 0
        self.closed = False
        self.wakeup = asyncio.Event()

    def offer(self, event: DomainEvent) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1
        self.queue.append(event)
        self.wakeup.set()

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self

    async def __anext__(self) -> DomainEvent:
        while not self.queue:
            if self.closed:
                raise StopAsyncIteration
            self.wakeup.clear()
            await self.wakeup.wait()
        return self.queue.popleft()

    def close(self) -> None:
        self.closed = True
        self.wakeup.set()
        if self in self.owner.subs:
            self.owner.subs.remove(self)


class FakeEngine:
    def __init__(
        self, groups: Mapping[str, list[str]] | None = None, main_log: str | None = None
    ) -> None:
        self.state = SupervisorState.RUNNING
        self.processes: dict[tuple[str, str], FakeProcess] = {}
        self.subs: list[FakeSubscription] = []
        self.main_log = main_log
        self.next_pid = 1000
        self.pending = ConfigDiff((), (), ())  # what reload_config answers
        self.config_error = ""  # reload_config fails with CANT_REREAD when set
        self.calls: list[Call] = []
        self.remote_events: list[tuple[str, str]] = []
        for group, names in (groups or {}).items():
            for name in names:
                self.add(group, name)

    # --- set-up helpers ------------------------------------------------------
    def add(self, group: str, name: str, state: ProcessState = ProcessState.STOPPED) -> FakeProcess:
        spec = ProcessSpec(name=name, program_name=group, command=f"/bin/{name}")
        proc = FakeProcess(group, name, spec)
        self.processes[(group, name)] = proc
        if state in RUNNING_STATES:
            self._set(proc, ProcessState.RUNNING)
        elif state is not ProcessState.STOPPED:
            self._set(proc, state)
        return proc

    def publish(self, event: DomainEvent) -> None:
        for sub in list(self.subs):
            sub.offer(event)

    def _set(self, proc: FakeProcess, state: ProcessState) -> None:
        old = proc.state
        proc.state = state
        if state is ProcessState.RUNNING:
            self.next_pid += 1
            proc.pid, proc.start = self.next_pid, NOW
        elif state in STOPPED_STATES:
            proc.pid, proc.stop = 0, NOW + 60
        self.publish(
            ProcessStateChanged(proc.group, proc.name, old, state, proc.pid, 0, False, NOW)
        )

    def _get(self, group: str, name: str) -> FakeProcess:
        try:
            return self.processes[(group, name)]
        except KeyError:
            raise SupervisorFault(Faults.BAD_NAME, make_namespec(group, name)) from None

    def _members(self, group: str) -> list[FakeProcess]:
        return [p for p in self.processes.values() if p.group == group]

    # --- the daemon ------------------------------------------------------------
    def supervisor_state(self) -> SupervisorState:
        return self.state

    def pid(self) -> int:
        return 4242

    def containment_info(self) -> dict[str, str]:
        return {}

    def identification(self) -> str:
        return "fakesuper"

    def root_spec(self) -> RootSpec:
        return RootSpec(config_file="/etc/fake.conf")

    def main_log_path(self) -> str | None:
        return self.main_log

    def clear_main_log(self) -> None:
        if not self.main_log:
            raise SupervisorFault(Faults.NO_FILE, "no log file")
        with open(self.main_log, "w"):
            pass

    async def shutdown(self) -> None:
        self.calls.append(("shutdown",))

    async def restart(self) -> None:
        self.calls.append(("restart",))

    # --- config ------------------------------------------------------------------
    def reload_config(self) -> ConfigDiff:
        if self.config_error:
            raise SupervisorFault(Faults.CANT_REREAD, self.config_error)
        self.calls.append(("reload_config",))
        return self.pending

    def config_entries(self) -> list[ConfigEntry]:
        entries = []
        for proc in self.processes.values():
            group = GroupSpec(name=proc.group, kind=GroupKind.PROGRAM, priority=5)
            entries.append(ConfigEntry(group, proc.spec, True, proc.stdout_logfile, ""))
        return entries

    async def add_group(self, name: str) -> None:
        if self._members(name):
            raise SupervisorFault(Faults.ALREADY_ADDED, name)
        if name not in self.pending.added:
            raise SupervisorFault(Faults.BAD_NAME, name)
        self.calls.append(("add_group", name))
        self.add(name, name, ProcessState.RUNNING)
        self.publish(GroupAdded(name))

    async def remove_group(self, name: str) -> None:
        members = self._members(name)
        if not members:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if any(p.state not in STOPPED_STATES for p in members):
            raise SupervisorFault(Faults.STILL_RUNNING, name)
        self.calls.append(("remove_group", name))
        for p in members:
            del self.processes[(p.group, p.name)]
        self.publish(GroupRemoved(name))

    async def update_group(self, name: str) -> GroupUpdate:
        """In place, like the engine: only ``*_01`` members "changed" and restart."""
        members = self._members(name)
        if not members:
            raise SupervisorFault(Faults.BAD_NAME, name)
        self.calls.append(("update_group", name))
        restarted = []
        for p in members:
            if p.name.endswith("_01"):
                p.spec = dataclasses.replace(p.spec, command=p.spec.command + " --changed")
                restarted.append(p.name)
        return GroupUpdate(name, "updated", restarted=tuple(sorted(restarted)))

    async def update_all(self) -> list[GroupUpdate]:
        diff = self.reload_config()
        reports = []
        for name in diff.removed:
            if any(o.fault for o in await self.stop_processes(name)):
                fault = SupervisorFault(Faults.FAILED, f"{name} has problems; not removing")
                reports.append(GroupUpdate(name, "removed", fault=fault))
                continue
            reports.append(await self._step(name, "removed", self.remove_group))
        for name in diff.changed:
            reports.append(await self.update_group(name))
        for name in diff.added:
            reports.append(await self._step(name, "added", self.add_group))
        return reports

    async def _step(
        self, name: str, action: str, work: Callable[[str], Awaitable[None]]
    ) -> GroupUpdate:
        try:
            await work(name)
        except SupervisorFault as fault:
            return GroupUpdate(name, action, fault=fault)
        names = (name,)
        return (
            GroupUpdate(name, action, added=names)
            if action == "added"
            else GroupUpdate(name, action, removed=names)
        )

    # --- processes ---------------------------------------------------------------
    def _snap(self, p: FakeProcess) -> ProcessSnapshot:
        return ProcessSnapshot(
            group=p.group,
            name=p.name,
            state=p.state,
            pid=p.pid,
            start=p.start,
            stop=p.stop,
            now=NOW + 65,
            exitstatus=p.exitstatus,
            spawnerr=p.spawnerr,
            stdout_logfile=p.stdout_logfile,
            stderr_logfile=p.stderr_logfile,
            spec=p.spec,
            group_priority=p.group_priority,
        )

    def snapshots(self) -> list[ProcessSnapshot]:
        return [self._snap(p) for _, p in sorted(self.processes.items())]

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        return self._snap(self._get(group, name))

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        members = self._members(group)
        if not members:
            raise SupervisorFault(Faults.BAD_NAME, group)
        return [self._snap(p) for p in sorted(members, key=lambda p: (p.spec.priority, p.name))]

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        p = self._get(group, name)
        if p.state in RUNNING_STATES:
            raise SupervisorFault(Faults.ALREADY_STARTED, make_namespec(group, name))
        self.calls.append(("start", group, name, wait))
        if p.fail_start:
            p.spawnerr = p.fail_start
            self._set(p, ProcessState.FATAL)
            raise SupervisorFault(Faults.SPAWN_ERROR, make_namespec(group, name))
        self._set(p, ProcessState.RUNNING)

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        p = self._get(group, name)
        if p.state not in RUNNING_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, make_namespec(group, name))
        self.calls.append(("stop", group, name, wait))
        self._set(p, ProcessState.STOPPED)

    async def restart_process(self, group: str, name: str, wait: bool = True) -> None:
        if self._get(group, name).state in RUNNING_STATES:
            await self.stop_process(group, name, True)
        await self.start_process(group, name, wait)

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        p = self._get(group, name)
        try:
            signum = parse_signal(sig)
        except BadSignal:
            raise SupervisorFault(Faults.BAD_SIGNAL, str(sig)) from None
        if p.state not in SIGNALLABLE_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, make_namespec(group, name))
        self.calls.append(("signal", group, name, signum))
        p.signals.append(signum)

    async def send_stdin(self, group: str, name: str, data: bytes) -> None:
        if not self._get(group, name).pid:
            raise SupervisorFault(Faults.NOT_RUNNING, make_namespec(group, name))
        self.calls.append(("stdin", group, name, data))

    def clear_process_logs(self, group: str, name: str) -> None:
        self._get(group, name).cleared += 1
        self.calls.append(("clear", group, name))

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        p = self._get(group, name)
        return (p.stdout_logfile if channel == "stdout" else p.stderr_logfile) or None

    def send_remote_comm_event(self, type_: str, data: str) -> None:
        self.remote_events.append((type_, data))

    # --- group/all verbs: the engine's rules ----------------------------------------
    def _ordered(self, group: str | None) -> list[ProcessSnapshot]:
        snaps = self.snapshots() if group is None else self.group_snapshots(group)
        return sorted(snaps, key=lambda s: (s.group_priority, s.group, s.spec.priority, s.name))

    async def _each(
        self, snaps: list[ProcessSnapshot], verb: Callable[[str, str], Awaitable[None]]
    ) -> list[Outcome]:
        outcomes = []
        for snap in snaps:
            try:
                await verb(snap.group, snap.name)
            except SupervisorFault as fault:
                outcomes.append(Outcome(snap.group, snap.name, fault))
            else:
                outcomes.append(Outcome(snap.group, snap.name, None))
        return outcomes

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

    # --- logs: the engine's own reader, on the fake's paths ---------------------------
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

    def follow_log(self, ref: LogRef, from_bytes: int, chunk_size: int) -> LogStream:
        return self._logs().follow(ref, from_bytes, chunk_size)

    async def usage(self) -> tuple[Usage | None, dict[int, Usage]]:
        return None, {}

    # --- minder: issue 16 ------------------------------------------------------------
    def process_load(self, pid: int) -> tuple[float, int] | None:
        return (1.5, 4096 * pid) if pid else None

    async def rolling_restart(
        self, targets: Sequence[tuple[str, str | None]], batch: int = 1
    ) -> list[RolloutStep]:
        steps: list[RolloutStep] = []
        for group, name in targets:
            names = [name] if name is not None else [
                p.name for p in self._ordered(group)]
            steps += [RolloutStep(make_namespec(group, n), "restarted", "fake") for n in names]
        return steps

    # --- events --------------------------------------------------------------------------
    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> FakeSubscription:
        sub = FakeSubscription(self, logs, maxsize)
        self.subs.append(sub)
        return sub

    def event_buffer_drops(self) -> dict[str, int]:
        return {}

    def listener_overruns(self) -> dict[str, int]:
        return {}


def _conforms(engine: FakeEngine) -> EngineAPI:
    """mypy's check that the fake is an EngineAPI (never called)."""
    return engine
