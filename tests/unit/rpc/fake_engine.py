"""A small in-memory EngineAPI for unit tests of the method table.

It keeps processes as plain records and applies the obvious transitions
at once; no processes, sockets or sleeps. It records the engine calls it
receives so tests can check what the rpc layer asked for.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from typing import Any

from minder.engine.api import ConfigDiff, ConfigEntry, GroupUpdate, ProcessSnapshot
from minder.model.events import DomainEvent
from minder.model.specs import GroupKind, GroupSpec, ProcessSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    ProcessState,
    SupervisorState,
)
from tests.unit.fake_verbs import FakeVerbs, signum_of

NOW = 1_800_000_000.0


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
    fail_start_with: Faults | None = None


class FakeSubscription:
    dropped = 0

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self._gen()

    async def _gen(self) -> AsyncIterator[DomainEvent]:
        return
        yield  # pragma: no cover

    def close(self) -> None:
        pass


class FakeEngine(FakeVerbs):
    def __init__(self, groups: dict[str, list[str]] | None = None) -> None:
        self.state = SupervisorState.RUNNING
        self.calls: list[tuple[Any, ...]] = []
        self.main_log: str | None = None
        self.processes: dict[tuple[str, str], FakeProcess] = {}
        self.remote_events: list[tuple[str, str]] = []
        self.next_pid = 1000
        for group, names in (groups or {"a": ["a"], "g": ["g_00", "g_01"]}).items():
            for name in names:
                spec = ProcessSpec(name=name, program_name=group, command=f"/bin/{name}")
                self.processes[(group, name)] = FakeProcess(group, name, spec)

    # --- the daemon
    def supervisor_state(self) -> SupervisorState:
        return self.state

    def pid(self) -> int:
        return 4242

    def containment_info(self) -> dict[str, str]:
        return {"mode": "off", "where": "none"}

    def identification(self) -> str:
        return "fakesuper"

    def root_spec(self) -> RootSpec:
        return RootSpec(config_file="/fake.conf")

    def main_log_path(self) -> str | None:
        return self.main_log

    def clear_main_log(self) -> None:
        if self.main_log is None:
            raise SupervisorFault(Faults.NO_FILE)
        open(self.main_log, "wb").close()

    async def shutdown(self) -> None:
        self.calls.append(("shutdown",))
        self.state = SupervisorState.SHUTDOWN

    async def restart(self) -> None:
        self.calls.append(("restart",))
        self.state = SupervisorState.RESTARTING

    # --- config
    def reload_config(self) -> ConfigDiff:
        return ConfigDiff(added=("new",), changed=("g",), removed=())

    def config_entries(self) -> list[ConfigEntry]:
        entries = []
        for proc in self.processes.values():
            group = GroupSpec(name=proc.group, kind=GroupKind.PROGRAM, priority=5)
            entries.append(ConfigEntry(group, proc.spec, True, proc.stdout_logfile, ""))
        return entries

    async def add_group(self, name: str) -> None:
        if name in {p.group for p in self.processes.values()}:
            raise SupervisorFault(Faults.ALREADY_ADDED, name)
        raise SupervisorFault(Faults.BAD_NAME, name)

    async def remove_group(self, name: str) -> None:
        procs = [p for p in self.processes.values() if p.group == name]
        if not procs:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if any(p.pid for p in procs):
            raise SupervisorFault(Faults.STILL_RUNNING, name)
        for p in procs:
            del self.processes[(p.group, p.name)]

    async def update_group(self, name: str) -> GroupUpdate:
        """In place, like the engine: only ``*_01`` members "changed"."""
        self.calls.append(("update_group", name))
        procs = [p for p in self.processes.values() if p.group == name]
        if not procs:
            raise SupervisorFault(Faults.BAD_NAME, name)
        restarted = []
        for p in procs:
            if p.name.endswith("_01"):
                p.spec = dataclasses.replace(p.spec, command=p.spec.command + " --changed")
                restarted.append(p.name)
        return GroupUpdate(name, "updated", restarted=tuple(sorted(restarted)))

    # --- processes
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

    def _get(self, group: str, name: str) -> FakeProcess:
        try:
            return self.processes[(group, name)]
        except KeyError:
            raise SupervisorFault(Faults.BAD_NAME, f"{group}:{name}") from None

    def snapshots(self) -> list[ProcessSnapshot]:
        return [self._snap(p) for _, p in sorted(self.processes.items())]

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        return self._snap(self._get(group, name))

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        procs = [p for p in self.processes.values() if p.group == group]
        if not procs:
            raise SupervisorFault(Faults.BAD_NAME, group)
        return [self._snap(p) for p in procs]

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        p = self._get(group, name)
        if p.state in RUNNING_STATES:
            raise SupervisorFault(Faults.ALREADY_STARTED, f"{group}:{name}")
        self.calls.append(("start", group, name, wait))
        if p.fail_start_with is not None:
            p.state = ProcessState.FATAL
            p.spawnerr = "Exited too quickly (process log may have details)"
            raise SupervisorFault(p.fail_start_with, "engine-text")
        p.state = ProcessState.RUNNING
        p.pid = self.next_pid
        self.next_pid += 1
        p.start = NOW

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        p = self._get(group, name)
        if p.state not in RUNNING_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        self.calls.append(("stop", group, name, wait))
        p.state, p.pid, p.stop = ProcessState.STOPPED, 0, NOW + 60

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        p = self._get(group, name)
        signum = signum_of(sig)
        if p.state not in SIGNALLABLE_STATES:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        self.calls.append(("signal", group, name, signum))

    async def send_stdin(self, group: str, name: str, data: bytes) -> None:
        if not self._get(group, name).pid:
            raise SupervisorFault(Faults.NOT_RUNNING, f"{group}:{name}")
        self.calls.append(("stdin", group, name, data))

    def clear_process_logs(self, group: str, name: str) -> None:
        self._get(group, name)
        self.calls.append(("clear", group, name))

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        p = self._get(group, name)
        return (p.stdout_logfile if channel == "stdout" else p.stderr_logfile) or None

    def send_remote_comm_event(self, type_: str, data: str) -> None:
        self.remote_events.append((type_, data))

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> FakeSubscription:
        return FakeSubscription()
