"""Issue 18, item 3: DNS rebinding against a real minderd whose loopback TCP
server has no credentials. After rebinding, the browser sends the page's
requests to 127.0.0.1 with the attacker's name in ``Host`` and whatever
headers the page adds (``Authorization`` included); every route must refuse
them, and nothing may change."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.e2e.test_rpc_support import xmlrpc_body
from tests.security.attacks import request_as
from tests.support.daemons import RunningDaemon, run_daemon, wait_for
from tests.support.ports import free_port

REBOUND = "rebound.example"
ANY_AUTH = {"Authorization": "Basic YTpi"}  # a rebound page may add one


@dataclass
class Open:
    daemon: RunningDaemon
    port: int


@pytest.fixture(scope="module")
def open_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Open]:
    port = free_port()
    body = (
        f"[inet_http_server]\nport=127.0.0.1:{port}\n\n"
        "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    )
    with run_daemon(tmp_path_factory.mktemp("rebinding"), body) as daemon:
        server = Open(daemon, port)
        wait_for(lambda: state(server) == "RUNNING", what="program a to run")
        yield server


def state(server: Open) -> str:
    with server.daemon.rpc() as proxy:
        return str(proxy.supervisor.getProcessInfo("a")["statename"])


ROUTES = [
    ("POST", "/RPC2", xmlrpc_body("supervisor.getState")),
    ("GET", "/logtail/a", None),
    ("GET", "/logtail/a/stderr", None),
    ("GET", "/mainlogtail", None),
    ("GET", "/metrics", None),
    ("GET", "/api/v1/csrf", None),
    ("GET", "/api/v1/processes", None),
    ("GET", "/", None),
    ("GET", "/index.html", None),
    ("GET", "/tail.html", None),
    ("GET", "/ok.html", None),
]


@pytest.mark.parametrize("extra", [{}, ANY_AUTH], ids=["plain", "with-authorization"])
@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[r[1] for r in ROUTES])
def test_every_route_refuses_a_rebound_name(
    open_server: Open, method: str, path: str, body: bytes | None, extra: dict[str, str]
) -> None:
    headers = {"Host": f"{REBOUND}:{open_server.port}", "Content-Type": "text/xml", **extra}
    status, data = request_as(open_server.port, method, path, body, headers)
    assert status == 403, (status, data[:200])
    assert b"RUNNING" not in data and b"minder_" not in data


def test_a_rebound_stop_changes_nothing(open_server: Open) -> None:
    for extra in ({}, ANY_AUTH):
        headers = {"Host": REBOUND, "Content-Type": "text/xml", **extra}
        stop = xmlrpc_body("supervisor.stopProcess", "a")
        status, _ = request_as(open_server.port, "POST", "/RPC2", stop, headers)
        assert status == 403
    assert state(open_server) == "RUNNING"


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "localhost", "app.localhost", "[::1]", socket.gethostname()]
)
def test_addresses_localhost_and_the_machines_name_are_served(open_server: Open, host: str) -> None:
    headers = {"Host": f"{host}:{open_server.port}", "Content-Type": "text/xml"}
    get_state = xmlrpc_body("supervisor.getState")
    status, data = request_as(open_server.port, "POST", "/RPC2", get_state, headers)
    assert status == 200 and b"RUNNING" in data
    status, _ = request_as(open_server.port, "GET", "/metrics", None, headers)
    assert status == 200


def test_the_unix_socket_is_not_host_checked(open_server: Open) -> None:
    sock = str(open_server.daemon.socket_path)
    headers = {"Host": REBOUND, "Content-Type": "text/xml"}
    status, data = request_as(sock, "POST", "/RPC2", xmlrpc_body("supervisor.getState"), headers)
    assert status == 200 and b"RUNNING" in data


def test_the_configured_host_name_is_served(tmp_path: Path) -> None:
    port = free_port()
    body = f"[inet_http_server]\nport=localhost:{port}\n\n[program:a]\ncommand=/bin/sleep 1000\n"
    with run_daemon(tmp_path, body):
        for host, expected in ((f"localhost:{port}", 200), (f"{REBOUND}:{port}", 403)):
            status, _ = request_as(port, "GET", "/metrics", None, {"Host": host})
            assert status == expected, host
