"""Shared pieces of the minderctl e2e tests (this module holds no tests).

DAEMON_KINDS lists the daemons the tests run against: upstream supervisord
always, minderd once its entry point exists. The wire is the same, so
every minderctl test runs against both.
"""

from __future__ import annotations

import importlib.util
import os
import re
import select
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
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


daemon_running = contextmanager(start_daemon)


def rpc(daemon: RunningDaemon, method: str, *args: object) -> Any:
    """One ``supervisor.<method>`` call on a connection that is closed afterwards."""
    with daemon.rpc() as proxy:
        return getattr(proxy.supervisor, method)(*args)


def minderctl(daemon: RunningDaemon, *args: str, input: str | None = None,
              client: str = "minderctl") -> subprocess.CompletedProcess[str]:
    return daemon.ctl(*args, client=client, input=input)


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


@contextmanager
def sigint_inherited_as_default() -> Iterator[None]:
    """Let children started inside get SIGINT's default action.

    A shell without job control starts background jobs (``make test &``) with
    SIGINT ignored, children inherit that, and Python then installs no
    KeyboardInterrupt handler, so "press Ctrl-C" tests would hang. A handler
    (unlike SIG_IGN) is reset to the default across exec.
    """
    if signal.getsignal(signal.SIGINT) is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)


def waiting_in_kernel(pid: int) -> bool:
    """True when ``pid``'s main thread sleeps in a system call (select, read, a lock...)."""
    with open(f"/proc/{pid}/stat") as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "S"


class PtyChild:
    """A client on a pseudo-terminal (os.openpty; pexpect is not installed), so readline,
    colour and echo behave as for a person at a terminal. Reads always have a deadline."""

    def __init__(self, argv: list[str], env: dict[str, str] | None = None) -> None:
        master, slave = os.openpty()
        self.master = master
        with sigint_inherited_as_default():
            self.proc = subprocess.Popen(
                argv, stdin=slave, stdout=slave, stderr=slave, start_new_session=True,
                env={**os.environ, "TERM": "xterm", **(env or {})},
            )
        os.close(slave)
        self.buffer = ""
        self.pos = 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return True
        try:
            data = os.read(self.master, 65536)
        except OSError:  # EIO: the child closed the terminal
            return False
        if not data:
            return False
        self.buffer += data.decode("utf-8", "replace")
        return True

    def expect(self, pattern: str, timeout: float = 15.0) -> re.Match[str]:
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        while True:
            match = regex.search(self.buffer, self.pos)
            if match:
                self.pos = match.end()
                return match
            left = deadline - time.monotonic()
            alive = left > 0 and self._read(min(left, 0.5))
            if not alive and not regex.search(self.buffer, self.pos):
                raise AssertionError(
                    f"{pattern!r} not seen; output after last match: {self.buffer[self.pos:]!r}")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def interrupt(self) -> None:
        """Press Ctrl-C once the client waits for something, as a person at the terminal would.

        CPython's readline prints the prompt and only then blocks in select(); a SIGINT
        that lands in between is noticed at the next keypress, so a Ctrl-C sent the
        instant the prompt appears can be lost (the shell then waits forever).
        """
        wait_for(lambda: self.proc.poll() is not None or waiting_in_kernel(self.proc.pid),
                 timeout=15, what=f"pid {self.proc.pid} to wait for input")
        self.proc.send_signal(signal.SIGINT)

    def wait(self, timeout: float = 15.0) -> int:
        deadline = time.monotonic() + timeout
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._read(0.2)
        while time.monotonic() < deadline + 1 and self._pending() and self._read(0):
            pass  # the last of the output; a child still running fails in proc.wait below
        return self.proc.wait(max(0.1, deadline - time.monotonic()))

    def _pending(self) -> bool:
        return bool(select.select([self.master], [], [], 0)[0])

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        os.close(self.master)
