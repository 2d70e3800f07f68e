"""Shared pieces of the minderctl e2e tests (this module holds no tests).

DAEMON_KINDS lists the daemons the tests run against: upstream supervisord
always, minderd once its entry point exists. The wire is the same, so
every minderctl test runs against both.
"""

from __future__ import annotations

import importlib.util
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import VENV_BIN, RunningDaemon, run_daemon, wait_for


def _minderd_available() -> bool:
    try:
        return importlib.util.find_spec("minder.daemon.main") is not None
    except ModuleNotFoundError:
        return False


DAEMON_KINDS = [
    "supervisord",
    pytest.param(
        "minderd",
        marks=pytest.mark.skipif(not _minderd_available(), reason="minderd not built yet"),
    ),
]

PROGRAMS = """
[program:a]
command=/bin/sh -c 'echo hello from a; exec sleep 1000'
startsecs=0
stopwaitsecs=5

[program:b]
command=/bin/sleep 1000
autostart=false
startsecs=0

[group:grp]
programs=c,d

[program:c]
command=/bin/sleep 1000
startsecs=0

[program:d]
command=/bin/sh -c 'echo out of d; echo err of d >&2; exec sleep 1000'
startsecs=0
"""


def start_daemon(tmp_path: Path, kind: str, body: str = PROGRAMS) -> Iterator[RunningDaemon]:
    """Run ``kind`` and wait until every autostart program is RUNNING."""
    with run_daemon(tmp_path, body, kind=kind) as daemon:

        def all_up() -> bool:
            infos = rpc(daemon, "getAllProcessInfo")
            autostart_off = {"b"}
            return all(
                i["statename"] == "RUNNING" for i in infos if i["name"] not in autostart_off
            )

        wait_for(all_up, timeout=20, what="autostart programs to run")
        yield daemon


def rpc(daemon: RunningDaemon, method: str, *args: object) -> Any:
    """One ``supervisor.<method>`` call on a connection that is closed afterwards."""
    with daemon.rpc() as proxy:
        return getattr(proxy.supervisor, method)(*args)


def minderctl(daemon: RunningDaemon, *args: str, input: str | None = None,
              client: str = "minderctl") -> subprocess.CompletedProcess[str]:
    return daemon.ctl(*args, client=client, input=input)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


_PID = re.compile(r"pid \d+, uptime \d+:\d\d:\d\d")
_STOPTIME = re.compile(r"[A-Z][a-z]{2} \d\d \d\d:\d\d [AP]M")
_BARE_NUMBER = re.compile(r"^\d+$", re.M)


def normalise(text: str) -> str:
    """Hide what differs between two runs: pids, uptimes, stop times."""
    text = _PID.sub("pid N, uptime T", text)
    text = _STOPTIME.sub("STOPTIME", text)
    return _BARE_NUMBER.sub("N", text)


def client_path(name: str) -> str:
    return str(VENV_BIN / name)
