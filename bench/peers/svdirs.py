"""s6 and runit in the peers bench: a scan directory of service directories.

Each program is a service directory whose ``run`` is a symlink to the child
program itself (which then reads its arguments from ``child.args``, see
child.c): no shell runs between the supervisor and the child, so the child
costs the same as under every other tool. A program whose stdout is
captured gets the tool's own logger as a ``log/`` service (``s6-log DIR``
and ``svlogd DIR``, with their default rotation: s6-log keeps 10 files of
99,999 bytes, svlogd 10 of 1,000,000); a program told nothing has none, and
its output goes to the scanner's stdout (here /dev/null), as by default.

s6: ``s6-svscan SCANDIR`` in the foreground; ``s6-svc -d`` and
``s6-svstat`` take one service each, so stop all and status are a shell
loop over the services. runit: ``runsvdir SCANDIR``; ``sv down`` and
``sv status`` take them all in one call. Both wait at least 1 s between two
starts of a service that keeps exiting (s6-supervise between two spawns,
runsv after a run shorter than a second).
"""

from __future__ import annotations

import signal
from pathlib import Path

from bench.peers import install
from bench.peers.tool import Launched, Program, Tool, spawn


class ServiceDirs(Tool):
    package = "?"
    commands: tuple[str, ...] = ()
    logger = "?"

    def problem(self) -> str | None:
        return install.problem(lambda: install.debian(self.package, self.commands))

    def start(self, run: Launched, programs: list[Program]) -> None:
        paths = install.debian(self.package, self.commands)
        scan = run.workdir / "scan"
        scan.mkdir()
        for p in programs:
            service = scan / p.name
            service.mkdir()
            (service / "child.args").write_text("\n".join(p.args) + "\n")
            (service / "run").symlink_to(run.child)
            if isinstance(p.log, Path):
                p.log.mkdir(parents=True, exist_ok=True)
                (service / "log").mkdir()
                script = service / "log" / "run"
                script.write_text(f"#!/bin/sh\nexec {paths[self.logger]} {p.log}\n")
                script.chmod(0o755)
        run.context.update(paths=paths, scan=scan, services=[str(scan / p.name) for p in programs])
        run.proc = spawn([paths[self.commands[0]], str(scan)], run.workdir)
        run.roots = [run.proc.pid]

    def _path(self, run: Launched, command: str) -> str:
        paths = run.context["paths"]
        assert isinstance(paths, dict)
        return str(paths[command])

    def _services(self, run: Launched) -> list[str]:
        services = run.context["services"]
        assert isinstance(services, list)
        return services

    def kept_logs(self, run: Launched, program: Program) -> list[Path]:
        """Both loggers name a finished file ``@<TAI64N stamp>.s``: sorted is oldest first."""
        assert isinstance(program.log, Path)
        archived = sorted(p for p in program.log.glob("@*") if p.is_file())
        current = program.log / "current"
        return [*archived, current] if current.exists() else archived


def _loop(command: str, services: list[str], *options: str) -> list[str]:
    """``sh -c 'for d; do COMMAND OPTIONS "$d"; done' sh SERVICES...``"""
    body = f'for d; do {command} {" ".join(options)} "$d" || exit 1; done'
    return ["/bin/sh", "-c", body, "sh", *services]


class S6(ServiceDirs):
    name = "s6"
    package = "s6"
    commands = ("s6-svscan", "s6-svc", "s6-svstat", "s6-log")
    logger = "s6-log"
    running_marker = "up (pid"
    notes = (
        "defaults; s6-svc and s6-svstat take one service each (a shell loop);"
        " s6-log keeps 10 x 99,999 bytes; >= 1 s between two starts"
    )

    def stop_all_argv(self, run: Launched) -> list[str]:
        return _loop(self._path(run, "s6-svc"), self._services(run), "-d")

    def status_argv(self, run: Launched) -> list[str]:
        return _loop(self._path(run, "s6-svstat"), self._services(run))


class Runit(ServiceDirs):
    name = "runit"
    package = "runit"
    commands = ("runsvdir", "sv", "svlogd")
    logger = "svlogd"
    running_marker = "run: "
    # runsvdir exits on SIGTERM and leaves its runsv processes running;
    # SIGHUP makes it send them TERM first.
    first_signal = signal.SIGHUP
    notes = "defaults; svlogd keeps 10 x 1,000,000 bytes; >= 1 s between two starts"

    def stop_all_argv(self, run: Launched) -> list[str]:
        return [self._path(run, "sv"), "down", *self._services(run)]

    def status_argv(self, run: Launched) -> list[str]:
        return [self._path(run, "sv"), "status", *self._services(run)]
