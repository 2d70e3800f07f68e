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
from minder.engine.logs.autonames import auto_log_path
from minder.engine.output import LogSink, OutputChannel
from minder.engine.process import ProcessRunner
from minder.engine.snapbuild import new_snapshot
from minder.engine.vitals import vitals_snapshot
from minder.model.specs import GroupSpec, LogSpec, ProcessSpec
from minder.protocol.states import STOPPED_STATES

# (path, maxbytes, backups, syslog ident, program's uid, AUTO) -> sink
SinkFactory = Callable[[str | None, int, int, str | None, int | None, bool], LogSink]


class LogPaths:
    """Where one process's channels are logged (real paths, AUTO resolved)."""

    def __init__(self, stdout: str | None, stderr: str | None) -> None:
        self.stdout = stdout
        self.stderr = stderr


def resolve_log_path(
    log: LogSpec, procname: str, channel: str, childlogdir: str, identifier: str
) -> str | None:
    if log.auto:
        return auto_log_path(childlogdir, procname, channel, identifier)
    return log.path


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
    ) -> None:
        self.spec = spec
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
        out_path = resolve_log_path(
            pspec.stdout, pspec.name, "stdout", self._childlogdir, self._identifier
        )
        err_path: str | None = None
        if not pspec.redirect_stderr:
            err_path = resolve_log_path(
                pspec.stderr, pspec.name, "stderr", self._childlogdir, self._identifier
            )
        self.log_paths[pspec.name] = LogPaths(out_path, err_path)
        stdout = OutputChannel(
            group=self.name,
            name=pspec.name,
            channel="stdout",
            sink=self._make_sink(out_path, pspec.stdout, pspec.name, pspec.uid),
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
                sink=self._make_sink(err_path, pspec.stderr, pspec.name, pspec.uid),
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

    def _make_sink(
        self, path: str | None, log: LogSpec, procname: str, owner: int | None
    ) -> LogSink | None:
        ident = procname if log.syslog else None
        if path is None and ident is None:
            return None
        return self._sink_factory(path, log.maxbytes, log.backups, ident, owner, log.auto)

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
