"""/logtail and /mainlogtail against minderd: chunked streams that start with
the last 1024 bytes and then follow, pushed as output arrives."""

from __future__ import annotations

import contextlib
import http.client
import os
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support.daemons import (
    Proxy,
    RunningDaemon,
    UnixStreamHTTPConnection,
    run_daemon,
    wait_for,
)

from .test_rpc_support import http_request

PROGRAMS = """
[program:cat]
command=/bin/cat
startsecs=0

[program:err]
command=/bin/sh -c 'echo to-stderr >&2; exec sleep 1000'
startsecs=0

[program:quiet]
command=/bin/sleep 1000
startsecs=0
autostart=false
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    with run_daemon(tmp_path_factory.mktemp("logtail"), PROGRAMS) as running:
        with running.rpc() as proxy:
            wait_for(lambda: proxy.supervisor.getProcessInfo("cat")["statename"] == "RUNNING")
        yield running


@pytest.fixture
def rpc(daemon: RunningDaemon) -> Iterator[Proxy]:
    with daemon.rpc() as proxy:
        yield proxy


@contextmanager
def stream(daemon: RunningDaemon, path: str) -> Iterator[http.client.HTTPResponse]:
    conn = UnixStreamHTTPConnection(str(daemon.socket_path), timeout=30)
    try:
        conn.request("GET", path)
        yield conn.getresponse()
    finally:
        conn.close()


def read_until(response: http.client.HTTPResponse, needle: bytes, timeout: float = 20) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while needle not in seen:
        assert time.monotonic() < deadline, f"{needle!r} not streamed; got {seen[-200:]!r}"
        seen += response.read1(65536)
    return seen


def test_logtail_starts_with_the_last_1024_bytes_then_follows(
    daemon: RunningDaemon, rpc: Proxy
) -> None:
    lines = "".join(f"line {i:04d}\n" for i in range(300))  # 3000 bytes
    rpc.supervisor.sendProcessStdin("cat", lines)
    wait_for(lambda: "line 0299" in rpc.supervisor.readProcessStdoutLog("cat", -20, 0))
    with stream(daemon, "/logtail/cat") as response:
        assert response.status == 200
        assert response.getheader("Transfer-Encoding") == "chunked"
        assert response.getheader("Content-Type") == "text/plain;charset=utf-8"
        assert response.getheader("X-Accel-Buffering") == "no"
        assert response.getheader("X-Frame-Options") == "DENY"
        first = read_until(response, b"line 0299\n")
        log_tail = rpc.supervisor.readProcessStdoutLog("cat", -1024, 0).encode()
        assert first == log_tail
        rpc.supervisor.sendProcessStdin("cat", "pushed while following\n")
        assert b"pushed while following" in read_until(response, b"pushed while following\n")


def test_logtail_channels(daemon: RunningDaemon) -> None:
    with stream(daemon, "/logtail/err/stderr") as response:
        assert response.status == 200
        read_until(response, b"to-stderr\n")
    with stream(daemon, "/logtail/cat/stdout") as response:
        assert response.status == 200


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("GET", "/logtail/nosuch", 404),
        ("GET", "/logtail/nosuch:*", 404),
        ("GET", "/logtail/cat/bogus", 404),
        ("POST", "/logtail/cat", 400),
        ("POST", "/mainlogtail", 400),
    ],
)
def test_logtail_errors(daemon: RunningDaemon, method: str, path: str, status: int) -> None:
    assert http_request(str(daemon.socket_path), method, path, b"")[0] == status


def test_mainlogtail_follows_the_main_log(
    daemon: RunningDaemon, rpc: Proxy
) -> None:
    with stream(daemon, "/mainlogtail") as response:
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/plain;charset=utf-8"
        read_until(response, b"\n")
        rpc.supervisor.startProcess("quiet")
        read_until(response, b"spawned: 'quiet'")
        rpc.supervisor.stopProcess("quiet")


def test_daemon_stops_promptly_with_tails_open(tmp_path_factory: pytest.TempPathFactory) -> None:
    with (
        run_daemon(tmp_path_factory.mktemp("tailstop"), PROGRAMS) as running,
        stream(running, "/logtail/cat") as one,
        stream(running, "/mainlogtail") as two,
    ):
        assert one.status == two.status == 200
        began = time.monotonic()
        running.stop()
        assert running.proc.returncode is not None
        assert time.monotonic() - began < 15


def test_tails_of_clients_that_left_are_released(
    daemon: RunningDaemon, rpc: Proxy
) -> None:
    pid = daemon.proc.pid

    def open_fds() -> list[str]:
        targets = []
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(FileNotFoundError):
                targets.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
        return sorted(targets)

    # Something for read1() below to read, whichever tests ran before this one.
    rpc.supervisor.sendProcessStdin("cat", "released tails\n")
    wait_for(lambda: "released tails" in rpc.supervisor.readProcessStdoutLog("cat", -100, 0))
    baseline = open_fds()
    for path in ["/logtail/cat", "/mainlogtail"] * 3:
        with stream(daemon, path) as response:
            assert response.status == 200
            response.read1(100)
    try:
        wait_for(lambda: len(open_fds()) <= len(baseline), timeout=20, what="tail fds released")
    except AssertionError as exc:  # say which descriptors stayed: the count alone hides them
        raise AssertionError(f"{exc}; before: {baseline}; now: {open_fds()}") from None


def test_http_1_0_clients_get_an_unchunked_stream(daemon: RunningDaemon) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(daemon.socket_path))
        sock.sendall(b"GET /logtail/err/stderr HTTP/1.0\r\n\r\n")
        seen = b""
        deadline = time.monotonic() + 20
        while b"to-stderr\n" not in seen:
            assert time.monotonic() < deadline, seen
            seen += sock.recv(65536)
    head = seen.split(b"\r\n\r\n", 1)[0].lower()
    assert head.startswith(b"http/1.0 200")
    assert b"transfer-encoding" not in head
    assert b"server: minder" in head
