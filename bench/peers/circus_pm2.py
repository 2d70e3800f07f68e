"""Circus (PyPI) and PM2 (npm) in the peers bench.

Circus: ``circusd circus.ini`` in the foreground, one ``[watcher:x]`` per
program with its defaults (one process, respawn on, ``check_delay`` 5 s).
Two settings are not its defaults, because its defaults reach beyond this
machine's loopback: the control and pub/sub channels are ipc sockets in the
run's directory instead of TCP ports 5555/5556 (several runs and other
people's tests share the machine), and multicast discovery is off (it joins
a multicast group on the network). Captured stdout is its ``FileStream``
(no rotation by default); a program told nothing keeps no log.

PM2: ``pm2 start`` on a JSON ecosystem file (``interpreter: none``, so the
child runs directly), with ``PM2_HOME`` in the run's directory; its daemon
detaches, so the bench finds it through ``PM2_HOME/pm2.pid``. Defaults
otherwise: a log file per program, restart on exit, 15 unstable restarts
(< 1 s up) before it gives up, SIGINT then SIGKILL after 1.6 s on stop.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

from bench.peers import install
from bench.peers.tool import Launched, Program, Tool, command, spawn


class Circus(Tool):
    name = "circus"
    running_marker = ": active"
    notes = (
        "defaults, except ipc control sockets (not TCP :5555/:5556) and multicast"
        " discovery off; FileStream for captured stdout, no log otherwise"
    )

    def problem(self) -> str | None:
        return install.problem(install.circus)

    def start(self, run: Launched, programs: list[Program]) -> None:
        bindir = install.circus()
        ctl = f"ipc://{run.workdir}/circus-ctl.sock"
        lines = [
            "[circus]",
            f"endpoint = {ctl}",
            f"pubsub_endpoint = ipc://{run.workdir}/circus-pub.sock",
            "multicast_endpoint =",
            "",
        ]
        for p in programs:
            lines += [f"[watcher:{p.name}]", f"cmd = {run.child} {' '.join(p.args)}"]
            if isinstance(p.log, Path):
                lines += [
                    "stdout_stream.class = FileStream",
                    f"stdout_stream.filename = {p.log}",
                ]
            lines.append("")
        conf = run.workdir / "circus.ini"
        conf.write_text("\n".join(lines))
        run.context.update(ctl=ctl, bindir=bindir)
        run.proc = spawn([str(bindir / "circusd"), str(conf)], run.workdir)
        run.roots = [run.proc.pid]

    def _ctl(self, run: Launched, *args: str) -> list[str]:
        bindir = run.context["bindir"]
        assert isinstance(bindir, Path)
        return [str(bindir / "circusctl"), "--endpoint", str(run.context["ctl"]), *args]

    def stop_all_argv(self, run: Launched) -> list[str]:
        return self._ctl(run, "stop")

    def status_argv(self, run: Launched) -> list[str]:
        return self._ctl(run, "status")

    def kept_logs(self, run: Launched, program: Program) -> list[Path]:
        assert isinstance(program.log, Path)
        return [program.log] if program.log.exists() else []


class Pm2(Tool):
    name = "pm2"
    running_marker = "online"
    first_signal = signal.SIGINT
    notes = (
        "defaults (a log file per program, PM2_HOME in the run's directory);"
        " its daemon detaches, so start-up includes starting it"
    )

    def problem(self) -> str | None:
        return install.problem(install.pm2)

    def _env(self, run: Launched) -> dict[str, str]:
        return {**os.environ, "PM2_HOME": str(run.workdir / "pm2home")}

    def start(self, run: Launched, programs: list[Program]) -> None:
        exe = install.pm2()
        run.context["exe"] = exe
        apps = []
        for p in programs:
            app: dict[str, object] = {
                "name": p.name, "script": run.child, "args": list(p.args), "interpreter": "none",
            }
            if p.log == "none":
                app.update(out_file="/dev/null", error_file="/dev/null")
            elif isinstance(p.log, Path):
                app["out_file"] = str(p.log)
            apps.append(app)
        eco = run.workdir / "ecosystem.json"
        eco.write_text(json.dumps({"apps": apps}))
        try:
            command([str(exe), "start", str(eco)], run.workdir, env=self._env(run), timeout=600)
        finally:
            pid = self._daemon_pid(run, time.monotonic() + 10)
            if pid:
                run.roots = [pid]

    def _daemon_pid(self, run: Launched, deadline: float) -> int:
        pidfile = run.workdir / "pm2home" / "pm2.pid"
        while time.monotonic() < deadline:
            try:
                return int(pidfile.read_text().strip())
            except (OSError, ValueError):
                time.sleep(0.05)
        return 0

    def stop_all_argv(self, run: Launched) -> list[str]:
        return [str(run.context["exe"]), "stop", "all"]

    def status_argv(self, run: Launched) -> list[str]:
        return [str(run.context["exe"]), "ls"]

    def command_env(self, run: Launched) -> dict[str, str] | None:
        return self._env(run)

    def kept_logs(self, run: Launched, program: Program) -> list[Path]:
        assert isinstance(program.log, Path)
        return [program.log] if program.log.exists() else []

    def shutdown(self, run: Launched) -> None:
        if "exe" in run.context and run.roots:
            command([str(run.context["exe"]), "kill"], run.workdir, env=self._env(run), timeout=60)
