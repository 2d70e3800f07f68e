"""minderd and supervisord in the peers bench: one supervisord-format config.

Both read the same file (bench/confgen.py's head plus one ``[program:x]``
per program, defaults everywhere else: AUTO child logs, ``startsecs=1``,
``autorestart=unexpected``), are stopped with ``<ctl> stop all`` and asked
with ``<ctl> status``.
"""

from __future__ import annotations

import socket
from pathlib import Path

from bench import confgen, daemons, logstream
from bench.peers.tool import Launched, Program, Tool, spawn

WEB_PATHS = ("/", "/api/v1/processes", "/metrics")


class SupervisordFamily(Tool):
    ctl = "?"
    notes = "defaults (AUTO child logs in childlogdir, startsecs=1, logfile_maxbytes=50MB x10)"

    def problem(self) -> str | None:
        try:
            daemons.executable(self.name)
            daemons.executable(self.ctl)
        except daemons.BenchError as exc:
            return str(exc)
        return None

    def start(self, run: Launched, programs: list[Program]) -> None:
        sections = []
        for p in programs:
            options: dict[str, object] = {}
            if p.log == "none":
                options = {"redirect_stderr": True, "stdout_logfile": "NONE"}
            elif isinstance(p.log, Path):
                options = {"stdout_logfile": p.log}
            sections.append(confgen.program(p.name, " ".join([run.child, *p.args]), **options))
        quiet = all(p.log == "none" for p in programs)
        conf = confgen.write(
            run.workdir, "\n".join(sections), programs=len(programs),
            per_child=3 if quiet else confgen.FDS_PER_CHILD,
        )
        run.context["conf"] = conf
        run.proc = spawn([daemons.executable(self.name), "-n", "-c", str(conf)], run.workdir)
        run.roots = [run.proc.pid]

    def _ctl(self, run: Launched, *args: str) -> list[str]:
        return [daemons.executable(self.ctl), "-c", str(run.context["conf"]), *args]

    def stop_all_argv(self, run: Launched) -> list[str]:
        return self._ctl(run, "stop", "all")

    def status_argv(self, run: Launched) -> list[str]:
        return self._ctl(run, "status")

    def kept_logs(self, run: Launched, program: Program) -> list[Path]:
        assert isinstance(program.log, Path)
        return logstream.kept_files(program.log)

    def use_web_ui(self, run: Launched) -> bool:
        """GET the status page, the process list (minder's JSON API) and /metrics."""
        for path in WEB_PATHS:
            _get_unix(str(run.workdir / "bench.sock"), path)
        return True


def _get_unix(sock_path: str, path: str) -> int:
    """One HTTP/1.0 GET over the unix socket, read to the end; the status code."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(30)
        s.connect(sock_path)
        s.sendall(f"GET {path} HTTP/1.0\r\nHost: localhost\r\n\r\n".encode())
        chunks = []
        while data := s.recv(1 << 16):
            chunks.append(data)
    head = b"".join(chunks)[:64]
    return int(head.split()[1]) if head.startswith(b"HTTP/") else 0


class Minderd(SupervisordFamily):
    name = "minderd"
    ctl = "minderctl"


class Supervisord(SupervisordFamily):
    name = "supervisord"
    ctl = "supervisorctl"
