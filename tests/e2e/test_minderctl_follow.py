"""``tail -f`` (one stream raw, several interleaved with prefixes), ``maintail -f`` and ``fg``."""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import RunningDaemon, wait_for

from .test_minderctl_support import (
    DAEMON_KINDS,
    PtyChild,
    client_path,
    minderctl,
    rpc,
    sigint_inherited_as_default,
    start_daemon,
)

BODY = """
[program:web]
command=/bin/sh -c 'i=0; while true; do i=$((i+1)); echo "web line $i"; sleep 0.2; done'
startsecs=0

[group:worker]
programs=w0,w1

[program:w0]
command=/bin/sh -c 'while true; do echo "w0 tick"; echo "w0 oops" >&2; sleep 0.3; done'
startsecs=0

[program:w1]
command=/bin/sh -c 'while true; do echo "w1 tick"; sleep 0.3; done'
startsecs=0

[program:echo]
command=/bin/cat
startsecs=0
"""


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param, BODY)


class Follower:
    """A running ``minderctl tail -f ...`` whose output we read with deadlines."""

    def __init__(self, daemon: RunningDaemon, *args: str, env: dict[str, str] | None = None):
        with sigint_inherited_as_default():
            self.proc = subprocess.Popen(
                [client_path("minderctl"), "-c", str(daemon.conf), *args],
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, **(env or {})},
            )
        self.output = b""
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        self.selector = selectors.DefaultSelector()
        self.selector.register(self.proc.stdout, selectors.EVENT_READ)

    def read_until(self, predicate: object, timeout: float = 15.0) -> str:
        deadline = time.monotonic() + timeout
        assert callable(predicate)
        while not predicate(self.text):
            left = deadline - time.monotonic()
            assert left > 0, f"timed out; output so far: {self.text!r}"
            for key, _ in self.selector.select(left):
                chunk = key.fileobj.read()  # type: ignore[union-attr]
                if chunk:
                    self.output += chunk
        return self.text

    @property
    def text(self) -> str:
        return self.output.decode("utf-8", "replace")

    def interrupt(self) -> int:
        self.proc.send_signal(signal.SIGINT)
        try:
            return self.proc.wait(15)
        finally:
            self.close()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)
        self.selector.close()
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def test_tail_f_one_program_streams_raw(daemon: RunningDaemon) -> None:
    follower = Follower(daemon, "tail", "-f", "web")
    try:
        text = follower.read_until(lambda t: t.count("web line") >= 3)
        assert text.startswith("==> Press Ctrl-C to exit <==\n")
        assert " | " not in text
        seen = [int(line.split()[-1]) for line in text.splitlines() if line.startswith("web line")]
        newest = seen[-1]
        follower.read_until(lambda t: f"web line {newest + 2}\n" in t)
    finally:
        assert follower.interrupt() == 0


def test_tail_f_several_programs_interleaves_with_prefixes(daemon: RunningDaemon) -> None:
    follower = Follower(daemon, "tail", "-f", "web", "worker:*")
    try:
        text = follower.read_until(
            lambda t: all(p in t for p in ("web       | web line", "worker:w0 | w0 tick",
                                           "worker:w1 | w1 tick")))
        body = text.splitlines()[1:]
        assert all(" | " in line for line in body), body
        assert "\x1b[" not in text  # not a terminal: no colour
    finally:
        assert follower.interrupt() == 0


def test_tail_f_all_interleaves_every_program(daemon: RunningDaemon) -> None:
    follower = Follower(daemon, "tail", "-f", "all")
    try:
        text = follower.read_until(
            lambda t: all(p in t for p in ("web       | web line", "worker:w0 | w0 tick",
                                           "worker:w1 | w1 tick")))
        assert "ERROR" not in text, text
    finally:
        assert follower.interrupt() == 0


def test_tail_f_several_stderr_and_bad_names(daemon: RunningDaemon) -> None:
    follower = Follower(daemon, "tail", "-f", "worker:w0", "nosuch", "stderr")
    try:
        text = follower.read_until(lambda t: "worker:w0 | w0 oops" in t)
        assert "nosuch: ERROR (no such process name)" in text
        assert "w0 tick" not in text
    finally:
        follower.interrupt()


def test_tail_f_unknown_name_says_so(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "tail", "-f", "nosuch")
    assert result.returncode == 1
    assert result.stdout == (
        "==> Press Ctrl-C to exit <==\nnosuch: ERROR (no such process name)\n")


def test_tail_f_colour_prefixes_on_a_terminal(daemon: RunningDaemon) -> None:
    argv = [client_path("minderctl"), "-c", str(daemon.conf), "tail", "-f", "web", "worker:w1"]
    child = PtyChild(argv)
    try:
        child.expect(r"\x1b\[[0-9;]+mworker:w1 \| \x1b\[0mw1 tick")
        child.interrupt()
        assert child.wait() == 0
    finally:
        child.close()
    child = PtyChild(argv, env={"NO_COLOR": "1"})
    try:
        child.expect(r"worker:w1 \| w1 tick")
        assert "\x1b[" not in child.buffer
        child.interrupt()
        assert child.wait() == 0
    finally:
        child.close()


def test_maintail_f(daemon: RunningDaemon) -> None:
    follower = Follower(daemon, "maintail", "-f")
    try:
        follower.read_until(lambda t: t.startswith("==> Press Ctrl-C to exit <==\n")
                            and len(t) > 40)
        minderctl(daemon, "signal", "CONT", "web")  # something new in the main log? not needed
    finally:
        assert follower.interrupt() == 0


def test_status_colours_states_on_a_terminal(daemon: RunningDaemon) -> None:
    child = PtyChild([client_path("minderctl"), "-c", str(daemon.conf), "status", "web"])
    try:
        assert child.wait() == 0
        assert "\x1b[32mRUNNING\x1b[0m" in child.buffer
    finally:
        child.close()


def test_fg_round_trips_input(daemon: RunningDaemon) -> None:
    child = PtyChild([client_path("minderctl"), "-c", str(daemon.conf), "fg", "echo"])
    try:
        child.expect("==> Press Ctrl-C to exit <==")
        child.send("ping-from-fg\n")
        child.expect("ping-from-fg[\\s\\S]*ping-from-fg")  # the tty echo, then cat's answer
        child.interrupt()
        child.expect("Exiting foreground")
        assert child.wait() == 0, child.buffer
    finally:
        child.close()
    assert rpc(daemon, "getProcessInfo", "echo")["statename"] == "RUNNING"


def test_fg_refuses_stopped_and_unknown(daemon: RunningDaemon, tmp_path: Path) -> None:
    result = minderctl(daemon, "fg", "nosuch")
    assert (result.stdout, result.returncode) == ("ERROR: bad process name supplied\n", 1)
    result = minderctl(daemon, "fg")
    assert result.stdout.startswith("ERROR: no process name supplied\n")
    wait_for(lambda: minderctl(daemon, "status", "web").returncode == 0)
