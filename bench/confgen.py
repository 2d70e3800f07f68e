"""Write the supervisord-format config each scenario runs both daemons on.

One function builds the daemon head (log, pidfile, socket, rpcinterface)
and each scenario adds its program sections. The same text goes to both
daemons; nothing here knows which daemon will read it.
"""

from __future__ import annotations

from pathlib import Path

# Descriptors a daemon holds per child with default (AUTO) logs: three pipe
# ends and two log files in supervisord, plus a pidfd in minderd.
FDS_PER_CHILD = 6


def min_fds(programs: int, per_child: int = FDS_PER_CHILD) -> int:
    """A minfds that fits every child's descriptors plus headroom.

    supervisord also closes fds up to minfds in every child it forks, so we
    ask for no more than needed.
    """
    return max(1024, per_child * programs + 256)


def head(workdir: Path, *, programs: int, per_child: int = FDS_PER_CHILD) -> str:
    sock = workdir / "bench.sock"
    return f"""\
[supervisord]
logfile={workdir}/daemon.log
pidfile={workdir}/daemon.pid
childlogdir={workdir}/logs
loglevel=info
minfds={min_fds(programs, per_child)}
identifier=bench

[unix_http_server]
file={sock}

[supervisorctl]
serverurl=unix://{sock}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
"""


def program(name: str, command: str, **options: object) -> str:
    """One ``[program:name]`` section; option values are written as given."""
    lines = [f"[program:{name}]", f"command={command}"]
    for key, value in options.items():
        if isinstance(value, bool):
            value = "true" if value else "false"
        lines.append(f"{key}={value}")
    return "\n".join(lines) + "\n"


def sleepers(count: int, **options: object) -> str:
    """``count`` programs that sleep forever (the cheapest child there is)."""
    opts: dict[str, object] = {"startsecs": 1, "autostart": True}
    opts.update(options)
    return "\n".join(
        program(f"p{i:05d}", "/bin/sleep infinity", **opts) for i in range(count)
    )


def write(
    workdir: Path, body: str, *, programs: int, per_child: int = FDS_PER_CHILD
) -> Path:
    """Write ``bench.conf`` (head + body) into ``workdir``; return its path."""
    (workdir / "logs").mkdir(exist_ok=True)
    conf = workdir / "bench.conf"
    conf.write_text(head(workdir, programs=programs, per_child=per_child) + "\n" + body)
    return conf
