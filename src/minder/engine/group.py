"""A group of processes as the engine runs it (one per active GroupSpec).

Creating a group is when its log files get their names: AUTO names are
chosen (mkstemp, so the file exists for getAllConfigInfo and tail) as
supervisord does when a group is added. Descriptors come later, as in
supervisord: a spawn makes sure the path exists, the first write opens it,
and the channel gives it back once the child is gone and its pipes are
drained, so a configured program that is not running holds none.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

from minder.engine.api import ProcessSnapshot
from minder.engine.bus import EventBus
from minder.engine.context import EngineContext
from minder.engine.fcgi import FcgiSocket
from minder.engine.logs.autonames import AutoLogBatch, auto_log_path
from minder.engine.output import LogSink, OutputChannel
from minder.engine.process import ProcessRunner
from minder.engine.snapbuild import new_snapshot
from minder.engine.vitals import vitals_snapshot
from minder.model.specs import GroupSpec, LogSpec, ProcessSpec
from minder.protocol.states import STOPPED_STATES

# (path, maxbytes, backups, syslog ident, program's uid, AUTO, AUTO file not made yet) -> sink
SinkFactory = Callable[[str | None, int, int, str | None, int | None, bool, bool], LogSink]


class LogPaths:
    """Where one process's channels are logged (real paths, AUTO resolved)."""

    def __init__(self, stdout: str | None, stderr: str | None) -> None:
        self.stdout = stdout
        self.stderr = stderr


class GroupRuntime:
    def __init__(
        self,
        spec: GroupSpec,
        ctx: EngineContext,
        *,
        sink_factory: SinkFactory,
        childlogdir: str,
        identifier: str,
        strip_ansi: bool,
        debug_echo: Callable[[str], None] | None = None,
        auto_logs: AutoLogBatch | None = None,
    ) -> None:
        self.spec = spec
        self._auto_logs = auto_logs
        self.ctx = ctx
        self._sink_factory = sink_factory
        self._childlogdir = childlogdir
        self._identifier = identifier
        self._strip_ansi = strip_ansi
        self._debug_echo = debug_echo
        self.fcgi: FcgiSocket | None = None
        if spec.fcgi is not None:
            self.fcgi = FcgiSocket(spec.fcgi)
            self.fcgi.open()  # fail early, like supervisord
        self.processes: dict[str, ProcessRunner] = {}
        self.log_paths: dict[str, LogPaths] = {}
        for pspec in spec.processes:
            self.add_process(pspec)

    @property
    def name(self) -> str:
        return self.spec.name

    def add_process(self, pspec: ProcessSpec) -> ProcessRunner:
        bus: EventBus = self.ctx.bus
        out_path, out_sink = self._channel_log(pspec.stdout, pspec, "stdout")
        err_path: str | None = None
        err_sink: LogSink | None = None
        if not pspec.redirect_stderr:
            err_path, err_sink = self._channel_log(pspec.stderr, pspec, "stderr")
        paths = self.log_paths[pspec.name] = LogPaths(out_path, err_path)
        if self._auto_logs is not None:
            self._born_later(paths, out_sink, err_sink)
        stdout = OutputChannel(
            group=self.name,
            name=pspec.name,
            channel="stdout",
            sink=out_sink,
            bus=bus,
            strip=self._strip_ansi,
            events_enabled=pspec.stdout.events_enabled,
            debug_echo=self._debug_echo,
        )
        stderr: OutputChannel | None = None
        if not pspec.redirect_stderr:
            stderr = OutputChannel(
                group=self.name,
                name=pspec.name,
                channel="stderr",
                sink=err_sink,
                bus=bus,
                strip=self._strip_ansi,
                events_enabled=pspec.stderr.events_enabled,
                debug_echo=self._debug_echo,
            )
        stdin_fd = None
        on_exit = None
        if self.fcgi is not None:
            fcgi = self.fcgi
            name = pspec.name

            def stdin_fd() -> int | None:
                return fcgi.acquire(name)

            def on_exit(runner: ProcessRunner) -> None:
                fcgi.release(runner.name)

        runner = ProcessRunner(
            pspec,
            self.name,
            self.spec.priority,
            self.ctx,
            stdout,
            stderr,
            stdin_fd=stdin_fd,
            on_exit=on_exit,
        )
        self.processes[pspec.name] = runner
        return runner

    def _channel_log(
        self, log: LogSpec, pspec: ProcessSpec, channel: str
    ) -> tuple[str | None, LogSink | None]:
        """The channel's log path (AUTO resolved) and its sink.

        With an ``AutoLogBatch`` (start-up), an AUTO log's file may be left
        to be made after the burst of spawns (the sink is then ``unborn``).
        """
        path, unborn = log.path, False
        if log.auto:
            if self._auto_logs is None:
                path = auto_log_path(self._childlogdir, pspec.name, channel, self._identifier)
            else:
                path, unborn = self._auto_logs.path(
                    self._childlogdir, pspec.name, channel, self._identifier
                )
        ident = pspec.name if log.syslog else None
        if path is None and ident is None:
            return None, None
        sink = self._sink_factory(path, log.maxbytes, log.backups, ident, pspec.uid, log.auto,
                                  unborn)
        return path, sink

    def _born_later(
        self, paths: LogPaths, stdout: LogSink | None, stderr: LogSink | None
    ) -> None:
        """Have the batch make these sinks' unborn files, and keep ``paths`` true to them."""
        assert self._auto_logs is not None

        def birth() -> None:
            if stdout is not None:
                paths.stdout = stdout.create_unborn()
            if stderr is not None:
                paths.stderr = stderr.create_unborn()

        self._auto_logs.later(birth)

    @property
    def daemon_env(self) -> tuple[tuple[str, str], ...]:
        """The [supervisord] environment this group's processes were built with."""
        return self.ctx.daemon_env

    def replace_processes(
        self, spec: GroupSpec, daemon_env: tuple[tuple[str, str], ...], stale: tuple[str, ...]
    ) -> list[ProcessRunner]:
        """An in-place update: drop the (stopped) ``stale`` runners, adopt the new spec.

        Returns the runners created for processes the group did not have.
        """
        for name in stale:
            self.remove_process(name)
        self.spec = spec
        self.ctx = dataclasses.replace(self.ctx, daemon_env=daemon_env)
        return [self.add_process(p) for p in spec.processes if p.name not in self.processes]

    def snapshot(self, runner: ProcessRunner, now: float) -> ProcessSnapshot:
        """One of this group's processes as EngineAPI shows it."""
        paths = self.log_paths.get(runner.name)
        m = runner.machine
        return new_snapshot(
            group=runner.group,
            name=runner.name,
            state=m.state,
            pid=m.pid,
            start=runner.start_epoch,
            stop=runner.stop_epoch,
            now=now,
            exitstatus=m.exitstatus if m.exitstatus is not None else 0,
            spawnerr=m.spawnerr,
            stdout_logfile=(paths.stdout or "") if paths else "",
            stderr_logfile=(paths.stderr or "") if paths else "",
            spec=runner.spec,
            group_priority=self.spec.priority,
            next_start=runner.next_start_epoch(),
            vitals=vitals_snapshot(runner),  # minder: readiness, restarts (issue 16)
        )

    def remove_process(self, name: str) -> None:
        runner = self.processes.pop(name)
        self.log_paths.pop(name, None)
        runner.close()

    def in_start_order(self) -> list[ProcessRunner]:
        return sorted(self.processes.values(), key=lambda r: r.sort_key)

    def all_stopped(self) -> bool:
        return all(r.state in STOPPED_STATES for r in self.processes.values())

    def close(self) -> None:
        for runner in self.processes.values():
            runner.close()
        if self.fcgi is not None:
            self.fcgi.close()
