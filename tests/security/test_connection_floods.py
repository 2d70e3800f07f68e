"""Issue 18, item 4: connection floods and trickled request heads, performed
against a real minderd held at the usual 1,024-descriptor limit."""

from __future__ import annotations

import socket
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

from minder.http.limits import HEAD_TIMEOUT
from tests.security.attacks import connection_flood, open_fds, timed_call
from tests.support.daemons import RunningDaemon, proxy_at, run_daemon, wait_for
from tests.support.ports import free_port

USER, PASSWORD = "admin", "s3cret"
FD_LIMIT = 1024


@dataclass
class Limited:
    daemon: RunningDaemon
    port: int

    @property
    def url(self) -> str:
        return f"http://{USER}:{PASSWORD}@127.0.0.1:{self.port}/RPC2"


@pytest.fixture
def limited(tmp_path: Path) -> Iterator[Limited]:
    port = free_port()
    body = (
        f"[inet_http_server]\nport=127.0.0.1:{port}\nusername={USER}\npassword={PASSWORD}\n\n"
        "[program:crashy]\ncommand=/bin/sh -c 'sleep 0.3; exit 3'\n"
        "startsecs=0\nautorestart=true\nstartretries=3\n"
    )
    with run_daemon(tmp_path, body) as daemon:
        psutil.Process(daemon.proc.pid).rlimit(psutil.RLIMIT_NOFILE, (FD_LIMIT, FD_LIMIT))
        yield Limited(daemon, port)


def crashy_pid(daemon: RunningDaemon) -> tuple[str, int]:
    with daemon.rpc() as proxy:
        info = proxy.supervisor.getProcessInfo("crashy")
    return info["statename"], info["pid"]


def test_a_1500_connection_flood_locks_out_neither_the_admin_nor_a_respawn(
    limited: Limited,
) -> None:
    pid = limited.daemon.proc.pid
    with connection_flood(limited.port, 1500) as held:
        assert len(held) > 1000
        # an authorised client gets in, over TCP and over the unix socket
        took = timed_call(limited.url, timeout=10)
        assert took < 5, took
        with limited.daemon.rpc() as proxy:
            assert proxy.supervisor.getState()["statename"] == "RUNNING"
        # a crashing program keeps being restarted: spawning has descriptors left
        _, first = crashy_pid(limited.daemon)
        # crashy is in a crash loop (up 0.3 s, under restart_backoff_reset): its
        # delay doubles from 0.1 s up to restart_backoff_max, 30 s, so a slow set-up
        # may meet a 13 s wait; the poll allows the longest one.
        wait_for(lambda: crashy_pid(limited.daemon)[1] not in (0, first), timeout=40,
                 what="crashy to be spawned again during the flood")
        state, _ = crashy_pid(limited.daemon)
        assert state != "FATAL"
        assert open_fds(pid) < FD_LIMIT - 64


def test_a_trickled_request_head_is_closed(limited: Limited) -> None:
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        began = time.monotonic()
        head = b"POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        closed_after = None
        for i in range(int(HEAD_TIMEOUT * 3)):  # one byte a second, never the end
            try:
                sock.sendall(head[i % len(head) : i % len(head) + 1] or b"X")
                sock.settimeout(1.0)
                if sock.recv(1) == b"":
                    closed_after = time.monotonic() - began
                    break
            except TimeoutError:
                continue
            except OSError:
                closed_after = time.monotonic() - began
                break
        assert closed_after is not None, "a head trickled for 30 s was never closed"
        assert closed_after < HEAD_TIMEOUT + 5
    # and the daemon still serves
    assert timed_call(limited.url) < 5


def test_a_trickled_head_of_another_route_is_closed_too(limited: Limited) -> None:
    with socket.create_connection(("127.0.0.1", limited.port), timeout=5) as sock:
        sock.sendall(b"GET /logtail/crashy HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        began = time.monotonic()
        sock.settimeout(HEAD_TIMEOUT * 3)
        try:
            data = sock.recv(1)
        except OSError:
            data = b""
        assert data == b"", data
        assert time.monotonic() - began < HEAD_TIMEOUT + 5


def test_authorised_keep_alive_calls_are_not_cut_by_the_head_timeout(limited: Limited) -> None:
    transport = xmlrpc.client.Transport()
    with proxy_at(limited.url, transport) as proxy:
        assert proxy.supervisor.getState()["statename"] == "RUNNING"
        assert proxy.supervisor.getPID() == limited.daemon.proc.pid
