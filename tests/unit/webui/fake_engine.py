"""An in-memory EngineAPI for the web UI's unit tests.

It keeps just enough state to answer like the engine: processes move
between states instantly, faults follow supervisord's rules, and every
change is published to subscribers as the engine's domain events.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from minder.engine.api import ConfigDiff, ConfigEntry, GroupUpdate, ProcessSnapshot
from minder.model.events import DomainEvent, GroupAdded, GroupRemoved, ProcessStateChanged
from minder.model.specs import ProcessSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    STOPPED_STATES,
    ProcessState,
    SupervisorState,
)
from tests.unit.fake_verbs import FakeVerbs, signum_of

NOW = 1_700_000_000.0


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


@dataclass
class FakeProcess:
    group: str
    name: str
    state: ProcessState = ProcessState.STOPPED
    pid: int = 0
    start: float = 0.0
    stop: float = 0.0
    spawnerr: str = ""
    fail_start: str = ""  # a spawnerr to fail the next start with
    stdout_log: str = ""
    stderr_log: str = ""
    signals: list[int] = field(default_factory=list)
    cleared: int = 0


class FakeEngine(FakeVerbs):
    def __init__(self, main_log: str | None = None) -> None:
        self.procs: dict[tuple[str, str], FakeProcess] = {}
        self.subs: list[FakeSubscription] = []
        self.main_log = main_log
        self.next_pid = 1000
        self.pending = ConfigDiff((), (), ())
        self.config_error = ""
        self.calls: list[str] = []
        self.stdin: list[tuple[str, bytes]] = []

    # --- set-up helpers ------------------------------------------------------
    def add(self, group: str, name: str, state: ProcessState = ProcessState.STOPPED) -> FakeProcess:
        proc = FakeProcess(group, name)
        self.procs[(group, name)] = proc
        if state in RUNNING_STATES:
            self._set(proc, ProcessState.RUNNING)
        return proc

    def publish(self, event: DomainEvent) -> None:
        for sub in list(self.subs):
            sub.offer(event)

    def _set(self, proc: FakeProcess, state: ProcessState) -> None:
        old = proc.state
        proc.state = state
        if state == ProcessState.RUNNING:
            self.next_pid += 1
            proc.pid, proc.start = self.next_pid, NOW
        elif state in STOPPED_STATES:
            proc.pid, proc.stop = 0, NOW + 5
        self.publish(
            ProcessStateChanged(proc.group, proc.name, old, state, proc.pid, 0, False, NOW)
        )

    def _get(self, group: str, name: str) -> FakeProcess:
        try:
            return self.procs[(group, name)]
        except KeyError:
            raise SupervisorFault(Faults.BAD_NAME, f"{group}:{name}") from None

    # --- EngineAPI -----------------------------------------------------------
    def supervisor_state(self) -> SupervisorState:
        return SupervisorState.RUNNING

    def pid(self) -> int:
        return 4242

    def containment_info(self) -> dict[str, str]:
        return {"mode": "off", "where": "none"}

    def identification(self) -> str:
        return "fakesuper"

    def root_spec(self) -> RootSpec:
        return RootSpec(config_file="/etc/fake.conf")

    def main_log_path(self) -> str | None:
        return self.main_log

    def clear_main_log(self) -> None:
        if self.main_log:
            open(self.main_log, "w").close()

    async def shutdown(self) -> None:
        self.calls.append("shutdown")

    async def restart(self) -> None:
        self.calls.append("restart")

    def reload_config(self) -> ConfigDiff:
        if self.config_error:
            raise SupervisorFault(Faults.CANT_REREAD, self.config_error)
        self.calls.append("reload_config")
        return self.pending

    def config_entries(self) -> list[ConfigEntry]:
        return []

    async def add_group(self, name: str) -> None:
        if any(g == name for g, _ in self.procs):
            raise SupervisorFault(Faults.ALREADY_ADDED, name)
        self.calls.append(f"add_group {name}")
        self.add(name, name, ProcessState.RUNNING)
        self.publish(GroupAdded(name))

    async def remove_group(self, name: str) -> None:
        members = [p for (g, _), p in self.procs.items() if g == name]
        if not members:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if any(p.state not in STOPPED_STATES for p in members):
            raise SupervisorFault(Faults.STILL_RUNNING, name)
        self.calls.append(f"remove_group {name}")
        for p in members:
            del self.procs[(p.group, p.name)]
        self.publish(GroupRemoved(name))

    async def update_group(self, name: str) -> GroupUpdate:
        if not any(g == name for g, _ in self.procs):
            raise SupervisorFault(Faults.BAD_NAME, name)
        self.calls.append(f"update_group {name}")
        return GroupUpdate(name, "updated")

    async def update_all(self) -> list[GroupUpdate]:
        diff = self.reload_config()
        reports = []
        for name in diff.removed:
            if any(o.fault for o in await self.stop_processes(name)):
                fault = SupervisorFault(Faults.FAILED, f"{name} has problems; not removing")
                reports.append(GroupUpdate(name, "removed", fault=fault))
                continue
            try:
                await self.remove_group(name)
            except SupervisorFault as fault:
                reports.append(GroupUpdate(name, "removed", fault=fault))
            else:
                reports.append(GroupUpdate(name, "removed", removed=(name,)))
        for name in diff.changed:
            reports.append(await self.update_group(name))
        for name in diff.added:
            try:
                await self.add_group(name)
            except SupervisorFault as fault:
                reports.append(GroupUpdate(name, "added", fault=fault))
            else:
                reports.append(GroupUpdate(name, "added", added=(name,)))
        return reports

    def _snap(self, proc: FakeProcess) -> ProcessSnapshot:
        spec = ProcessSpec(name=proc.name, program_name=proc.group, command="/bin/true")
        return ProcessSnapshot(
            group=proc.group,
            name=proc.name,
            state=proc.state,
            pid=proc.pid,
            start=proc.start,
            stop=proc.stop,
            now=NOW + 65,
            exitstatus=0,
            spawnerr=proc.spawnerr,
            stdout_logfile=proc.stdout_log,
            stderr_logfile=proc.stderr_log,
            spec=spec,
            group_priority=999,
        )

    def snapshots(self) -> list[ProcessSnapshot]:
        return [self._snap(p) for _, p in sorted(self.procs.items())]

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        return self._snap(self._get(group, name))

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        found = [self._snap(p) for (g, _), p in sorted(self.procs.items()) if g == group]
        if not found:
            raise SupervisorFault(Faults.BAD_NAME, group)
        return found

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        proc = self._get(group, name)
        if proc.state in RUNNING_STATES:
            raise SupervisorFault(Faults.ALREADY_STARTED, f"{group}:{name}")
        self.calls.append(f"start {group}:{name}")
        if proc.fail_start:
            proc.spawnerr = proc.fail_start
            self._set(proc, ProcessState.FATAL)
            raise SupervisorFault(Faults.SPAWN_ERROR, f"{group}:{name}")
        self._set(proc, ProcessState.RUNNING)

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        proc = self._get(group, name)
        if proc.state not in RUNNING_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        self.calls.append(f"stop {group}:{name}")
        self._set(proc, ProcessState.STOPPED)

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        proc = self._get(group, name)
        signum = signum_of(sig)
        if proc.state not in SIGNALLABLE_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        proc.signals.append(signum)

    async def send_stdin(self, group: str, name: str, data: bytes) -> None:
        proc = self._get(group, name)
        if proc.state not in RUNNING_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        self.stdin.append((f"{group}:{name}", data))

    def clear_process_logs(self, group: str, name: str) -> None:
        self._get(group, name).cleared += 1

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        proc = self._get(group, name)
        return (proc.stdout_log if channel == "stdout" else proc.stderr_log) or None

    def send_remote_comm_event(self, type_: str, data: str) -> None:
        pass

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> FakeSubscription:
        sub = FakeSubscription(self, logs, maxsize)
        self.subs.append(sub)
        return sub
