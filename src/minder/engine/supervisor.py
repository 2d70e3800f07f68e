"""The Supervisor: the engine's implementation of EngineAPI.

It owns the active groups, the daemon's mood (RUNNING, SHUTDOWN,
RESTARTING) and the event bus, and turns API calls into commands on the
process runners. Shutdown stops groups one at a time from the highest
priority number down, as supervisord does, and is a task the daemon awaits.

Where minder improves on supervisord (recorded in docs/differences.md):
``restart()`` validates the new config first and refuses (CANT_REREAD)
rather than stopping everything and dying; ``update_group()`` restarts only
the processes whose spec changed.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import os
import signal
from collections.abc import Callable, Sequence
from typing import Protocol

from minder.engine.api import ConfigDiff, ConfigEntry, ProcessSnapshot
from minder.engine.bus import EventBus, Subscription
from minder.engine.clock import Clock, SystemClock
from minder.engine.dependencies import DeferredStarts, stop_waves
from minder.engine.events.service import EventListeners  # issue 6: event listeners
from minder.engine.group import GroupRuntime, SinkFactory
from minder.engine.process import EngineContext, ProcessRunner
from minder.engine.reaper import Reaper
from minder.engine.ticks import TickTimers
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    RemoteCommunication,
    SupervisorStateChanged,
)
from minder.model.specs import GroupSpec, LogSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.states import (
    RUNNING_STATES,
    STOPPED_STATES,
    ProcessState,
    SupervisorState,
)

WAITING_LOG_INTERVAL = 3.0  # "waiting for a, b to die" during shutdown
STOP_WAIT_LOG_INTERVAL = 2.0  # "waiting for a to stop" during an RPC stop


class Logger(Protocol):
    """The level methods of MainLog (and of any stand-in)."""

    def critical(self, msg: str) -> None: ...
    def error(self, msg: str) -> None: ...
    def warn(self, msg: str) -> None: ...
    def info(self, msg: str) -> None: ...
    def debug(self, msg: str) -> None: ...
    def trace(self, msg: str) -> None: ...
    def blather(self, msg: str) -> None: ...


ConfigLoader = Callable[[], RootSpec]


def default_sink_factory(log: Logger) -> SinkFactory:
    from minder.engine.logs.childlog import ChildLog

    def make(
        path: str | None,
        maxbytes: int,
        backups: int,
        ident: str | None,
        owner: int | None,
        auto: bool,
    ) -> ChildLog:
        return ChildLog(
            path, maxbytes, backups, ident, on_error=log.error, lazy=True, owner=owner,
            exclusive=auto,
        )

    return make


def server_url_for(root: RootSpec) -> str | None:
    """SUPERVISOR_SERVER_URL: the first unix server, else the first inet one."""
    for server in root.http_servers:
        if server.family == "unix" and server.path:
            return f"unix://{server.path}"
    for server in root.http_servers:
        if server.family == "inet" and server.port:
            host = server.host if server.host not in (None, "", "*") else "localhost"
            return f"http://{host}:{server.port}"
    return None


def _configured_log(log: LogSpec, redirected: bool = False) -> str:
    if redirected:
        return "none"
    if log.auto:
        return "auto"
    return log.path if log.path is not None else "none"


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
    ) -> None:
        self._root = root
        self._pending = root
        self.log = log
        self._loader = config_loader
        self.clock: Clock = clock or SystemClock()
        self._sink_factory = sink_factory or default_sink_factory(log)
        self._use_pidfd = use_pidfd
        self._reap_orphans = reap_orphans  # PID 1 / subreaper: collect re-parented orphans
        self._main_log_path = main_log_path
        self._clear_main_log = clear_main_log
        self.bus = EventBus()
        self.bus.on_listener_error = log.error
        self._deferred = DeferredStarts(self._all_runners, log.info)  # depends_on
        self.bus.add_listener(self._deferred.on_event)
        self.groups: dict[str, GroupRuntime] = {}
        self.mood = SupervisorState.RUNNING
        self.next_root: RootSpec | None = None  # set by restart(): the config to reload with
        self._ctx: EngineContext | None = None
        self._reaper: Reaper | None = None
        self._ticks: TickTimers | None = None
        self._stop_task: asyncio.Task[None] | None = None
        self._finished: asyncio.Event | None = None
        self.event_listeners: EventListeners | None = None  # issue 6: listener pools

    # --- life cycle --------------------------------------------------------

    def _log(self, level: str, message: str) -> None:
        getattr(self.log, level)(message)

    async def start(self) -> None:
        """Create every group, autostart in priority order, announce RUNNING."""
        loop = asyncio.get_running_loop()
        self._finished = asyncio.Event()
        self._reaper = Reaper(loop, use_pidfd=self._use_pidfd)
        if self._reap_orphans:
            self._reaper.reap_orphans_too(self.log.info)
        self._ctx = EngineContext(
            loop=loop,
            clock=self.clock,
            reaper=self._reaper,
            bus=self.bus,
            log=self._log,
            may_restart=lambda: self.mood is SupervisorState.RUNNING,
            base_env=dict(os.environ),
            daemon_env=self._root.daemon.environment,
            server_url=server_url_for(self._root),
        )
        # issue 6: listener pools and capture mode see every group and state change
        self.event_listeners = EventListeners(self)
        self.bus.add_listener(self.event_listeners.on_event)
        for gspec in self._root.groups:
            self._create_group(gspec)
        self.bus.publish(SupervisorStateChanged(SupervisorState.RUNNING))
        for gspec in self._root.groups:
            self._autostart(self.groups[gspec.name])
        self._ticks = TickTimers(loop, self.clock, self.bus, needed=self._tick_wanted)
        self._ticks.start()
        self.bus.add_listener(self._refresh_ticks_on_pool_change)

    def _tick_wanted(self, period: int) -> bool:
        """Whether some listener pool subscribes to TICK_<period> (or EVENT)."""
        if self.event_listeners is None:
            return False
        name = f"TICK_{period}"
        return any(pool.wants(name) for pool in self.event_listeners.router.pools.values())

    def _refresh_ticks_on_pool_change(self, event: DomainEvent) -> None:
        if isinstance(event, (GroupAdded, GroupRemoved)) and self._ticks is not None:
            self._ticks.refresh()

    def _create_group(self, gspec: GroupSpec) -> GroupRuntime:
        assert self._ctx is not None
        daemon = self._root.daemon
        debug_echo = None
        is_enabled = getattr(self.log, "is_enabled_for", None)
        if is_enabled is not None and is_enabled(10):
            debug_echo = self.log.debug
        group = GroupRuntime(
            gspec,
            # Each group keeps the [supervisord] environment it was built
            # with: a reread that changes it marks the group changed, and
            # only update (re)creates its processes with the new one.
            dataclasses.replace(self._ctx, daemon_env=self._pending.daemon.environment),
            sink_factory=self._sink_factory,
            childlogdir=daemon.childlogdir,
            identifier=daemon.identifier,
            strip_ansi=daemon.strip_ansi,
            debug_echo=debug_echo,
        )
        self.groups[gspec.name] = group
        self.bus.publish(GroupAdded(gspec.name))
        return group

    def _autostart(self, group: GroupRuntime) -> None:
        if self.mood is not SupervisorState.RUNNING:
            return
        for runner in group.in_start_order():
            if runner.spec.autostart and runner.state is ProcessState.STOPPED:
                self._deferred.autostart(runner)

    def _groups_by_priority(self) -> list[GroupRuntime]:
        return sorted(self.groups.values(), key=lambda g: (g.spec.priority, g.name))

    def _begin_stop(self, mood: SupervisorState) -> None:
        self.mood = mood
        self.bus.publish(SupervisorStateChanged(mood))
        self._stop_task = asyncio.get_running_loop().create_task(self._stop_all())

    def request_shutdown(self, mood: SupervisorState = SupervisorState.SHUTDOWN) -> bool:
        """Daemon signals: begin stopping unless already doing so."""
        if self.mood is not SupervisorState.RUNNING:
            return False
        self._begin_stop(mood)
        return True

    def _all_runners(self) -> list[ProcessRunner]:
        return [r for g in self.groups.values() for r in g.processes.values()]

    async def _stop_all(self) -> None:
        """Stop group by group, highest priority number first (§3.6).

        With depends_on, in waves: dependents stop before what they depend on.
        """
        self._deferred.clear()
        try:
            for wave in stop_waves(self._all_runners()):
                in_wave = set(map(id, wave))
                for group in reversed(self._groups_by_priority()):
                    runners = [r for r in reversed(group.in_start_order()) if id(r) in in_wave]
                    for runner in runners:
                        if runner.state is ProcessState.BACKOFF:
                            runner.give_up()
                        else:
                            runner.stop_now()
                    await self._wait_stopped(runners)
        finally:
            if self._finished is not None:
                self._finished.set()

    async def _wait_stopped(self, runners: list[ProcessRunner]) -> None:
        if not runners:
            return
        waits = [asyncio.ensure_future(r.wait_stopped()) for r in runners]
        try:
            while True:
                _, pending = await asyncio.wait(waits, timeout=WAITING_LOG_INTERVAL)
                if not pending:
                    return
                # Like supervisord: every unstopped process of every group, by name.
                alive = [r.name for r in self._all_runners() if r.state not in STOPPED_STATES]
                if alive:
                    self._log("info", f"waiting for {', '.join(alive)} to die")
        finally:
            for w in waits:
                w.cancel()

    def kill_remaining(self) -> None:
        """A second exit signal: SIGKILL whatever is still alive, at once."""
        for group in self.groups.values():
            for runner in group.processes.values():
                if runner.popen is not None and self._reaper is not None:
                    with contextlib.suppress(OSError):
                        self._reaper.send_signal(
                            runner.popen.pid,
                            signal.SIGKILL,
                            to_group=runner.spec.killasgroup or runner.spec.stopasgroup,
                        )

    async def wait_finished(self) -> None:
        assert self._finished is not None
        await self._finished.wait()

    async def close(self) -> None:
        """Release everything (after wait_finished)."""
        if self._stop_task is not None:
            await self._stop_task
        if self._ticks is not None:
            self._ticks.stop()
        if self.event_listeners is not None:  # issue 6
            self.event_listeners.close()
        for group in self.groups.values():
            group.close()
        self.groups.clear()
        if self._reaper is not None:
            self._reaper.close()

    # --- EngineAPI: the daemon -------------------------------------------

    def supervisor_state(self) -> SupervisorState:
        return self.mood

    def pid(self) -> int:
        return os.getpid()

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
        if self.mood is not SupervisorState.RUNNING:
            raise SupervisorFault(Faults.SHUTDOWN_STATE)

    async def shutdown(self) -> None:
        self._check_mood()
        self._begin_stop(SupervisorState.SHUTDOWN)

    async def restart(self) -> None:
        """Reload: minder checks the new config first and keeps running if it is broken."""
        self._check_mood()
        if self._loader is not None:
            try:
                self.next_root = self._loader()
            except Exception as exc:
                self._log("error", f"restart refused, the config has errors: {exc}")
                raise SupervisorFault(Faults.CANT_REREAD, str(exc)) from None
        self._begin_stop(SupervisorState.RESTARTING)

    # --- EngineAPI: config --------------------------------------------------

    def reload_config(self) -> ConfigDiff:
        self._check_mood()
        if self._loader is None:
            raise SupervisorFault(Faults.CANT_REREAD, "no config file to re-read")
        try:
            new = self._loader()
        except Exception as exc:
            raise SupervisorFault(Faults.CANT_REREAD, str(exc)) from None
        self._pending = new
        return self.pending_diff()

    def pending_diff(self) -> ConfigDiff:
        new_groups = {g.name: g for g in self._pending.groups}
        active = {name: g.spec for name, g in self.groups.items()}
        added = sorted(set(new_groups) - set(active))
        removed = sorted(set(active) - set(new_groups))
        changed = sorted(
            n
            for n in set(new_groups) & set(active)
            if new_groups[n] != active[n]
            or self._pending.daemon.environment != self.groups[n].ctx.daemon_env
        )
        return ConfigDiff(tuple(added), tuple(changed), tuple(removed))

    def config_entries(self) -> list[ConfigEntry]:
        entries: list[ConfigEntry] = []
        for gspec in self._pending.groups:
            active = self.groups.get(gspec.name)
            for pspec in gspec.processes:
                out = _configured_log(pspec.stdout)
                err = _configured_log(pspec.stderr, pspec.redirect_stderr)
                paths = active.log_paths.get(pspec.name) if active is not None else None
                if paths is not None:
                    if pspec.stdout.auto:
                        out = paths.stdout or "none"
                    if pspec.stderr.auto and not pspec.redirect_stderr:
                        err = paths.stderr or "none"
                entries.append(ConfigEntry(gspec, pspec, active is not None, out, err))
        return entries

    async def add_group(self, name: str) -> None:
        self._check_mood()
        gspec = self._pending.group(name)
        if gspec is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if name in self.groups:
            raise SupervisorFault(Faults.ALREADY_ADDED, name)
        try:
            group = self._create_group(gspec)
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, f"{name}: {exc}") from None
        self._autostart(group)

    async def remove_group(self, name: str) -> None:
        self._check_mood()
        group = self.groups.get(name)
        if group is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if not group.all_stopped():
            raise SupervisorFault(Faults.STILL_RUNNING, name)
        del self.groups[name]
        group.close()
        self.bus.publish(GroupRemoved(name))

    async def update_group(self, name: str) -> str:
        """minder's update: apply the last-read config to one group in place.

        Returns "added", "removed", "updated" or "unchanged". Inside a
        changed group only processes whose spec changed are stopped and
        recreated; the others keep running with their pid.
        """
        self._check_mood()
        new = self._pending.group(name)
        group = self.groups.get(name)
        if new is None and group is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if group is None:
            assert new is not None
            await self.add_group(name)
            return "added"
        if new is None:
            await self._stop_runners(list(group.processes.values()))
            await self.remove_group(name)
            return "removed"
        env_changed = self._pending.daemon.environment != group.ctx.daemon_env
        if new == group.spec and not env_changed:
            return "unchanged"
        if (new.kind, new.priority, new.fcgi, new.listener) != (
            group.spec.kind,
            group.spec.priority,
            group.spec.fcgi,
            group.spec.listener,
        ):
            await self._stop_runners(list(group.processes.values()))
            await self.remove_group(name)
            await self.add_group(name)
            return "updated"
        old_specs = {p.name: p for p in group.spec.processes}
        new_specs = {p.name: p for p in new.processes}
        stale = [
            n
            for n in old_specs
            if n not in new_specs or new_specs[n] != old_specs[n] or env_changed
        ]
        await self._stop_runners([group.processes[n] for n in stale])
        for n in stale:
            group.remove_process(n)
        group.spec = new
        group.ctx = dataclasses.replace(group.ctx, daemon_env=self._pending.daemon.environment)
        for n, pspec in new_specs.items():
            if n not in group.processes:
                runner = group.add_process(pspec)
                if pspec.autostart:
                    runner.start_now()
        return "updated"

    async def _stop_runners(self, runners: list[ProcessRunner]) -> None:
        for runner in sorted(runners, key=lambda r: r.sort_key, reverse=True):
            runner.stop_now()
        await asyncio.gather(*(r.wait_stopped() for r in runners))

    # --- EngineAPI: processes --------------------------------------------

    def _runner(self, group: str, name: str) -> ProcessRunner:
        g = self.groups.get(group)
        runner = g.processes.get(name) if g is not None else None
        if runner is None:
            raise SupervisorFault(Faults.BAD_NAME, make_namespec(group, name))
        return runner

    def _snapshot(self, runner: ProcessRunner) -> ProcessSnapshot:
        group = self.groups[runner.group]
        paths = group.log_paths.get(runner.name)
        m = runner.machine
        return ProcessSnapshot(
            group=runner.group,
            name=runner.name,
            state=m.state,
            pid=m.pid,
            start=runner.start_epoch,
            stop=runner.stop_epoch,
            now=self.clock.time(),
            exitstatus=m.exitstatus if m.exitstatus is not None else 0,
            spawnerr=m.spawnerr,
            stdout_logfile=(paths.stdout or "") if paths else "",
            stderr_logfile=(paths.stderr or "") if paths else "",
            spec=runner.spec,
            group_priority=group.spec.priority,
            next_start=runner.next_start_epoch(),
        )

    def snapshots(self) -> list[ProcessSnapshot]:
        runners = [r for g in self.groups.values() for r in g.processes.values()]
        runners.sort(key=lambda r: (r.group, r.name))
        return [self._snapshot(r) for r in runners]

    def snapshot(self, group: str, name: str) -> ProcessSnapshot:
        return self._snapshot(self._runner(group, name))

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        g = self.groups.get(group)
        if g is None:
            raise SupervisorFault(Faults.BAD_NAME, group)
        return [self._snapshot(r) for r in g.in_start_order()]

    def runner(self, group: str, name: str) -> ProcessRunner:
        """The live runner (for in-process consumers such as listener pools)."""
        return self._runner(group, name)

    async def start_process(self, group: str, name: str, wait: bool = True) -> None:
        self._check_mood()
        await self._runner(group, name).start(wait)

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None:
        self._check_mood()
        runner = self._runner(group, name)
        runner.request_stop()
        if wait:
            await self._await_stops([runner], lambda _: None)

    async def stop_processes(
        self, targets: Sequence[tuple[str, str]], wait: bool = True
    ) -> list[tuple[int, SupervisorFault | None]]:
        self._check_mood()
        outcomes: list[tuple[int, SupervisorFault | None]] = []
        stopping: list[ProcessRunner] = []
        indexes: list[int] = []
        for index, (group, name) in enumerate(targets):
            try:
                runner = self._runner(group, name)
                runner.request_stop()
            except SupervisorFault as fault:
                outcomes.append((index, fault))
                continue
            if wait:
                stopping.append(runner)
                indexes.append(index)
            else:
                outcomes.append((index, None))
        if stopping:
            await self._await_stops(stopping, lambda i: outcomes.append((indexes[i], None)))
        return outcomes

    async def _await_stops(
        self,
        runners: list[ProcessRunner],
        on_stopped: Callable[[int], None],
    ) -> None:
        """Wait until every runner is stopped, calling ``on_stopped(index)`` as each one is.

        One future per runner with a done-callback, one counter and one
        "waiting for" timer for them all: no task, no ``asyncio.wait`` and no
        timer per process, which is what stopping 500 at once would cost.
        A requested stop cannot fail (stopwaitsecs ends in SIGKILL), and a
        runner closed meanwhile (its group removed) counts as stopped.
        """
        loop = asyncio.get_running_loop()
        all_stopped = loop.create_future()
        pending: dict[int, ProcessRunner] = {}

        def stopped(index: int, _: asyncio.Future[None]) -> None:
            del pending[index]
            on_stopped(index)
            if not pending and not all_stopped.done():
                all_stopped.set_result(None)

        for index, runner in enumerate(runners):
            future = runner.stopped_future()
            if future is None:
                on_stopped(index)
                continue
            pending[index] = runner
            future.add_done_callback(functools.partial(stopped, index))
        if not pending:
            return
        timer: asyncio.TimerHandle

        def nag() -> None:
            nonlocal timer
            for runner in pending.values():
                self._log("info", f"waiting for {runner.name} to stop")
            timer = loop.call_later(STOP_WAIT_LOG_INTERVAL, nag)

        timer = loop.call_later(STOP_WAIT_LOG_INTERVAL, nag)
        try:
            await all_stopped
        finally:
            timer.cancel()

    async def signal_process(self, group: str, name: str, signum: int) -> None:
        self._check_mood()
        self._runner(group, name).signal(signum)

    async def send_stdin(self, group: str, name: str, data: bytes) -> None:
        self._check_mood()
        self._runner(group, name).write_stdin(data)

    def clear_process_logs(self, group: str, name: str) -> None:
        self._check_mood()
        runner = self._runner(group, name)
        if runner.state not in RUNNING_STATES and runner.state is not ProcessState.STOPPING:
            return  # supervisord clears through live dispatchers only
        for channel in (runner.stdout, runner.stderr):
            if channel is not None and channel.sink is not None:
                try:
                    channel.sink.clear()
                except OSError as exc:
                    raise SupervisorFault(Faults.FAILED, str(exc)) from None

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        runner = self._runner(group, name)
        paths = self.groups[runner.group].log_paths.get(runner.name)
        if paths is None:
            return None
        return paths.stdout if channel == "stdout" else paths.stderr

    def send_remote_comm_event(self, type_: str, data: str) -> None:
        self.bus.publish(RemoteCommunication(type_, data))

    def reopen_logs(self) -> None:
        """SIGUSR2: reopen every child log (the daemon reopens the main log)."""
        for group in self.groups.values():
            for runner in group.processes.values():
                for channel in (runner.stdout, runner.stderr):
                    if channel is not None and channel.sink is not None:
                        channel.sink.reopen()

    # --- EngineAPI: events -------------------------------------------------

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> Subscription:
        return self.bus.subscribe(logs=logs, maxsize=maxsize)

    def event_buffer_drops(self) -> dict[str, int]:
        if self.event_listeners is None:
            return {}
        return {name: pool.dropped for name, pool in self.event_listeners.router.pools.items()}
