"""The Supervisor: the engine's implementation of EngineAPI.

It owns the active groups, the daemon's mood (RUNNING, SHUTDOWN,
RESTARTING) and the event bus. The verbs live in rooms of their own and
the Supervisor only hands calls on: engine/control.py (start, stop,
restart, signal, clear), engine/reload.py (reread, add, remove, update),
engine/events/service.py (listener pools, which see the Supervisor only
through the ``ListenerHost`` methods). The daemon drives it through named
methods (``request_shutdown``, ``request_restart``, ``exit_instead_of_reload``,
``reload_root``). Shutdown stops groups one at a time from the highest
priority number down, as supervisord does, and is a task the daemon awaits.

Where minder improves on supervisord (recorded in docs/differences.md):
``restart()`` validates the new config first and refuses (CANT_REREAD)
rather than stopping everything and dying.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Sequence

from minder.engine.api import (
    ConfigDiff,
    ConfigEntry,
    GroupUpdate,
    LogRef,
    LogSlice,
    Outcome,
    ProcessSnapshot,
    RolloutStep,
    Usage,
)
from minder.engine.burstpriority import prioritized_burst
from minder.engine.bus import EventBus, Subscription
from minder.engine.clock import Clock, SystemClock
from minder.engine.containment import (
    NO_CONTAINMENT,
    NO_JOURNAL,
    Containment,
    PreparedCgroups,
    SpawnJournal,
    cgroups_prepared,
    choose,
)
from minder.engine.context import EngineContext
from minder.engine.control import ProcessControl
from minder.engine.defaults import Logger, default_sink_factory, server_url_for
from minder.engine.dependencies import DeferredStarts, stop_waves
from minder.engine.essential import EssentialExits
from minder.engine.events.service import EventListeners  # issue 6: event listeners
from minder.engine.group import SinkFactory
from minder.engine.grouptable import GroupTable
from minder.engine.logs.access import LogAccess
from minder.engine.logs.follow import LogFollower
from minder.engine.memwatch import MemoryWatch
from minder.engine.notify import NotifyDirectory
from minder.engine.prefixed import PrefixedStdout
from minder.engine.process import ProcessRunner
from minder.engine.reaper import Reaper
from minder.engine.reload import ConfigLoader, ConfigReloader
from minder.engine.spawn import Spawner, spawn
from minder.engine.ticks import TickTimers
from minder.engine.usage import LoadSampler, UsageReader, sample_usage
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    RemoteCommunication,
    SupervisorStateChanged,
)
from minder.model.specs import GroupSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import SupervisorState


class Supervisor:
    def __init__(
        self,
        root: RootSpec,
        *,
        log: Logger,
        config_loader: ConfigLoader | None = None,
        clock: Clock | None = None,
        sink_factory: SinkFactory | None = None,
        use_pidfd: bool | None = None,
        main_log_path: Callable[[], str | None] | None = None,
        clear_main_log: Callable[[], None] | None = None,
        reap_orphans: bool = False,
        spawner: Spawner = spawn,
        containment: str | None = None,  # issue 14: [supervisord] containment=; None = off
        journal: SpawnJournal = NO_JOURNAL,  # issue 14: children state file (daemon/survivors)
    ) -> None:
        self._root = root
        self.log = log
        self._loader = config_loader
        self._spawner = spawner
        self.clock: Clock = clock or SystemClock()
        self._use_pidfd = use_pidfd
        self._reap_orphans = reap_orphans  # PID 1 / subreaper: collect re-parented orphans
        self._containment_mode = containment
        self._journal = journal
        self.containment: Containment = NO_CONTAINMENT
        self._main_log_path = main_log_path
        self._clear_main_log = clear_main_log
        self.bus = EventBus()
        self.bus.on_listener_error = log.error
        self._table = GroupTable(
            root, self.bus, log, sink_factory or default_sink_factory(log),
            pending_env=lambda: self.config.pending.daemon.environment,
            may_autostart=lambda: self._mood is SupervisorState.RUNNING,
            autostart=lambda runner: self._deferred.autostart(runner),
        )
        self.groups = self._table.groups
        self._all_runners = self._table.runners
        self._deferred = DeferredStarts(self._all_runners, log.info, self.bus)  # depends_on
        self._mood = SupervisorState.RUNNING
        self._next_root: RootSpec | None = None  # set by a restart: the config to reload with
        self.logs = LogAccess(self._log_path_of, self.bus)
        self._usage = UsageReader()
        self.control = ProcessControl(
            self.groups, check_running=self._check_mood, log=self._log,
            defer=self._deferred.autostart,
        )
        self.config = ConfigReloader(
            root,
            self.groups,
            loader=config_loader,
            check_running=self._check_mood,
            create_group=self._table.add_and_autostart,
            drop_group=self._table.drop,
            stop_and_wait=self.control.stop_and_wait,
            stop_group=lambda name: self.control.stop_processes(name, True),
            autostart=self._deferred.autostart,
            roll=lambda runners, batch, replace: self.control.roll(
                runners, batch, self.bus, self.clock, replace),
            log=self._log,
        )
        self._ctx: EngineContext | None = None
        self._reaper: Reaper | None = None
        self._ticks: TickTimers | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._finished: asyncio.Event | None = None
        self.event_listeners: EventListeners | None = None  # issue 6: listener pools
        self._exit_code = 0  # issue 14: set by an essential program that ends
        self._prefixed: PrefixedStdout | None = None  # childlogs_to_stdout
        # issue 16: notify sockets, usage sampling, memory limits, verdict restarts
        self._notify_dir = NotifyDirectory()
        self._load = LoadSampler()
        self._memory_watch: MemoryWatch | None = None
        self._rollouts = 0

    # --- life cycle --------------------------------------------------------

    def _log(self, level: str, message: str) -> None:
        getattr(self.log, level)(message)

    async def start(self) -> None:
        """Create every group, autostart in priority order, announce RUNNING."""
        loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        self._reaper = Reaper(loop, use_pidfd=self._use_pidfd)
        self._ctx = EngineContext(  # its containment comes with _choose_containment
            loop=loop, clock=self.clock, reaper=self._reaper, bus=self.bus, log=self._log,
            may_restart=self.accepting_restarts, base_env=dict(os.environ),
            daemon_env=self._root.daemon.environment, server_url=server_url_for(self._root),
            spawner=self._spawner, journal=self._journal, notify_dir=self._notify_dir,
            on_verdict=self._on_verdict,
        )
        self._memory_watch = MemoryWatch(loop, self._memory_of, self._all_runners)
        if self._root.daemon.childlogs_to_stdout:  # issue 14: "name | line" on our stdout
            self._prefixed = PrefixedStdout()
            self._ctx.output_tee = self._prefixed.channel
        self.bus.add_listener(EssentialExits(self).on_event, types=EssentialExits.EVENTS)
        # listener pools and capture mode see every group and state change
        self.event_listeners = EventListeners(self)
        self.bus.add_listener(self.event_listeners.on_event, types=self.event_listeners.events)
        self._table.ctx = self._ctx
        with (  # the burst: nothing here awaits
            cgroups_prepared(self._containment_mode or "off", self._root) as prepared,
            self._table.auto_logs_made_after(),
        ):
            for gspec in self._root.groups:
                self._table.create(gspec)
            self._choose_containment(self._reaper, prepared)
            self.bus.publish(SupervisorStateChanged(SupervisorState.RUNNING))
            autostarts = sum(r.spec.autostart for r in self._all_runners())
            with self.containment.burst(autostarts), prioritized_burst(autostarts):
                for gspec in self._root.groups:
                    self._table.autostart(self.groups[gspec.name])
        self._memory_watch.refresh()
        self._ticks = TickTimers(loop, self.clock, self.bus, needed=self._tick_wanted)
        self._ticks.start()
        self.bus.add_listener(self._refresh_ticks_on_pool_change, types=(GroupAdded, GroupRemoved))

    def _choose_containment(self, reaper: Reaper, prepared: PreparedCgroups | None) -> None:
        """Just before the first spawn, whose migration then finds the kernel's lock still
        warm from the probe's: one RCU grace period (7-15 ms) is paid, not two."""
        if self._containment_mode is not None:
            self.containment = chosen = choose(
                self._containment_mode, reaper.is_watched, self.log.info, self.log.warn, prepared)
            self._journal.use_cgroup(chosen.where if chosen.mode == "cgroup" else None)
            self._table.use_containment(chosen)
        if self._reap_orphans:
            reaper.reap_orphans_too(self.log.info, self.containment.owner_of)

    def _on_verdict(self, runner: ProcessRunner, kind: str, reason: str) -> None:
        """A health, memory or readiness verdict: restart through the stop path."""
        if self._mood is SupervisorState.RUNNING:
            self.control.restart_for(runner, kind, reason)

    def _tick_wanted(self, period: int) -> bool:
        """Whether some listener pool subscribes to TICK_<period> (or EVENT)."""
        return self.event_listeners is not None and self.event_listeners.wants_tick(period)

    def _refresh_ticks_on_pool_change(self, event: DomainEvent) -> None:
        if isinstance(event, (GroupAdded, GroupRemoved)):
            if self._ticks is not None:
                self._ticks.refresh()
            if self._memory_watch is not None:
                self._memory_watch.refresh()

    def _begin_stop(self, mood: SupervisorState) -> None:
        self._mood = mood
        self.bus.publish(SupervisorStateChanged(mood))
        self._stop_task = asyncio.get_running_loop().create_task(self._stop_all())

    # --- the daemon's controls (signals, the run loop) ------------------------

    def accepting_restarts(self) -> bool:
        """Whether processes may be (re)started: False once stopping has begun."""
        return self._mood is SupervisorState.RUNNING

    @property
    def exit_code(self) -> int:
        """minderd's exit status after this run (an essential program's, else 0)."""
        return self._exit_code

    def request_shutdown(self, exit_code: int = 0) -> bool:
        """Begin stopping to exit with ``exit_code``, unless already stopping."""
        if self._mood is not SupervisorState.RUNNING:
            return False
        self._exit_code = exit_code
        self._begin_stop(SupervisorState.SHUTDOWN)
        return True

    def request_restart(self) -> None:
        """Begin stopping to reload, once the new config has been read without error.

        The one place a reload starts (``restart()`` over XML-RPC and SIGHUP):
        SHUTDOWN_STATE if already stopping, CANT_REREAD, and the old config
        keeps running, if the new one is broken.
        """
        self._check_mood()
        if self._loader is not None:
            self._next_root = self.config.load()
        self._begin_stop(SupervisorState.RESTARTING)

    def exit_instead_of_reload(self) -> bool:
        """An exit signal during a reload's stop: exit when stopped. False if not reloading."""
        if self._mood is not SupervisorState.RESTARTING:
            return False
        self._mood = SupervisorState.SHUTDOWN
        return True

    def reload_root(self) -> RootSpec | None:
        """After wait_finished: the config to run next, or None to exit."""
        return self._next_root if self._mood is SupervisorState.RESTARTING else None

    def publish(self, event: DomainEvent) -> None:
        """Announce an event (the main log's lines, a listener's captured output)."""
        self.bus.publish(event)

    # --- the listener service's view (events/service.py: ListenerHost) ------

    def find_runner(self, group: str, name: str) -> ProcessRunner | None:
        return self._table.find_runner(group, name)

    def group_spec(self, group: str) -> GroupSpec | None:
        return self._table.group_spec(group)

    async def _stop_all(self) -> None:
        """Shutdown or reload: every process stopped in the daemon's stop order."""
        self._deferred.clear()
        try:
            await self.control.stop_for_exit(stop_waves(self._all_runners()))
        finally:
            if self._finished is not None:
                self._finished.set()

    def kill_remaining(self) -> None:
        """A second exit signal: SIGKILL whatever is still alive, at once."""
        self.control.kill_all()

    async def wait_finished(self) -> None:
        assert self._finished is not None
        await self._finished.wait()

    async def close(self) -> None:
        """Release everything (after wait_finished)."""
        if self._stop_task is not None:
            await self._stop_task
        if self._ticks is not None:
            self._ticks.stop()
        if self._memory_watch is not None:
            self._memory_watch.close()
        self.control.cancel_verdicts()
        if self.event_listeners is not None:  # issue 6
            self.event_listeners.close()
        self._table.close()
        if self._prefixed is not None:
            self._prefixed.flush()
        killed = self.containment.close()
        if killed:
            pids = ", ".join(map(str, sorted(killed)))
            self._log("info", f"killed {len(killed)} leftover process(es) at shutdown: {pids}")
        if self._reaper is not None:
            if killed:
                self._reaper.collect(killed, timeout=2.0)
            self._reaper.close()
        self._notify_dir.close()

    # --- EngineAPI: the daemon -------------------------------------------

    def supervisor_state(self) -> SupervisorState:
        return self._mood

    def pid(self) -> int:
        return os.getpid()

    def containment_info(self) -> dict[str, str]:
        """Which containment backend is in use (JSON API, --check reports the same)."""
        return {"mode": self.containment.mode, "where": self.containment.where}

    def identification(self) -> str:
        return self._root.daemon.identifier

    def root_spec(self) -> RootSpec:
        return self._root

    def main_log_path(self) -> str | None:
        return self._main_log_path() if self._main_log_path is not None else None

    def clear_main_log(self) -> None:
        if self._main_log_path is None or self._main_log_path() is None:
            raise SupervisorFault(Faults.NO_FILE, "no log file")
        if self._clear_main_log is not None:
            try:
                self._clear_main_log()
            except OSError as exc:
                raise SupervisorFault(Faults.FAILED, str(exc)) from None

    def _check_mood(self) -> None:
        if self._mood is not SupervisorState.RUNNING:
            raise SupervisorFault(Faults.SHUTDOWN_STATE)

    async def shutdown(self) -> None:
        self._check_mood()
        self._begin_stop(SupervisorState.SHUTDOWN)

    async def restart(self) -> None:
        """Reload: minder checks the new config first and keeps running if it is broken."""
        try:
            self.request_restart()
        except SupervisorFault as fault:
            if fault.code is Faults.CANT_REREAD:
                self._log("error", f"restart refused, the config has errors: {fault.extra}")
            raise

    # --- EngineAPI: config (engine/reload.py) ----------------------------

    def reload_config(self) -> ConfigDiff:
        return self.config.reload_config()

    def pending_diff(self) -> ConfigDiff:
        return self.config.pending_diff()

    def config_entries(self) -> list[ConfigEntry]:
        return self.config.config_entries()

    async def add_group(self, name: str) -> None:
        await self.config.add_group(name)

    async def remove_group(self, name: str) -> None:
        await self.config.remove_group(name)

    async def update_group(self, name: str) -> GroupUpdate:
        return await self.config.update_group(name)

    async def update_all(self) -> list[GroupUpdate]:
        return await self.config.update_all()

    # --- EngineAPI: processes --------------------------------------------

    def _snapshot(self, runner: ProcessRunner) -> ProcessSnapshot:
        return self.groups[runner.group].snapshot(runner, self.clock.time())

    def snapshots(self) -> list[ProcessSnapshot]:
        return self._table.snapshots(self.clock.time())

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        return self._snapshot(self.control.runner(group, name))

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        return [self._snapshot(r) for r in self.control.in_start_order(group)]

    # --- EngineAPI: control verbs (engine/control.py) ---------------------

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        await self.control.start_process(group, name, wait)

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        await self.control.stop_process(group, name, wait)

    async def restart_process(self, group: str, name: str, wait: bool = True) -> None:
        await self.control.restart_process(group, name, wait)

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        await self.control.signal_process(group, name, sig)

    async def start_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        return await self.control.start_processes(group, wait)

    async def stop_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        return await self.control.stop_processes(group, wait)

    async def restart_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        return await self.control.restart_processes(group, wait)

    async def signal_processes(self, group: str | None, sig: object) -> list[Outcome]:
        return await self.control.signal_processes(group, sig)

    def clear_process_logs(self, group: str, name: str) -> None:
        self.control.clear_logs(group, name)

    async def clear_processes_logs(self, group: str | None) -> list[Outcome]:
        return await self.control.clear_processes_logs(group)

    async def rolling_restart(
        self, targets: Sequence[tuple[str, str | None]], batch: int = 1
    ) -> list[RolloutStep]:
        return await self.control.rolling_restart(targets, batch, self.bus, self.clock)

    async def send_stdin(self, group: str, name: str, data: bytes) -> None:
        self._check_mood()
        self.control.runner(group, name).write_stdin(data)

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        runner = self.control.runner(group, name)
        paths = self.groups[runner.group].log_paths.get(runner.name)
        if paths is None:
            return None
        return paths.stdout if channel == "stdout" else paths.stderr

    def process_load(self, pid: int) -> tuple[float, int] | None:
        return self._load.load(pid)

    def _memory_of(self, runner: ProcessRunner) -> int | None:
        """memory_limit reads the program's cgroup (or its members' RSS) through containment."""
        return self.containment.memory_usage(runner.namespec, runner.pid) if runner.pid else None

    def send_remote_comm_event(self, type_: str, data: str) -> None:
        self.bus.publish(RemoteCommunication(type_, data))

    def reopen_logs(self) -> None:
        """SIGUSR2: reopen every child log (the daemon reopens the main log)."""
        for runner in self._all_runners():
            runner.reopen_logs()

    # --- EngineAPI: logs and usage ---------------------------------------

    def _log_path_of(self, ref: LogRef) -> str | None:
        if ref.group is None or ref.name is None:
            return self.main_log_path()
        return self.log_path(ref.group, ref.name, ref.channel)

    async def read_log(self, ref: LogRef, offset: int, length: int) -> bytes:
        return await self.logs.read(ref, offset, length)

    async def tail_log(self, ref: LogRef, offset: int, length: int) -> tuple[bytes, int, bool]:
        return await self.logs.tail(ref, offset, length)

    async def read_log_slice(self, ref: LogRef, offset: int | None, length: int) -> LogSlice:
        return await self.logs.read_slice(ref, offset, length)

    def follow_log(self, ref: LogRef, from_bytes: int, chunk_size: int) -> LogFollower:
        return self.logs.follow(ref, from_bytes, chunk_size)

    async def usage(self) -> tuple[Usage | None, dict[int, Usage]]:
        pids = [r.pid for r in self._all_runners() if r.pid]
        return sample_usage(os.getpid()), await self._usage.read_all(pids)

    # --- EngineAPI: events -------------------------------------------------

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> Subscription:
        return self.bus.subscribe(logs=logs, maxsize=maxsize)

    def event_buffer_drops(self) -> dict[str, int]:
        return {} if self.event_listeners is None else self.event_listeners.buffer_drops()

    def listener_overruns(self) -> dict[str, int]:
        return {} if self.event_listeners is None else self.event_listeners.overruns()
