"""Hostile requests against a real minderd: CVE-2017-11610 payloads, private
names, XML bombs, oversized bodies and headers, bad bytes in URLs, and the
security headers every response must carry."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Proxy, RunningDaemon, run_daemon

from .test_rpc_support import fault, http_request, xmlrpc_body

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    body = "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    with run_daemon(tmp_path_factory.mktemp("security"), body) as running:
        yield running


@pytest.fixture
def rpc(daemon: RunningDaemon) -> Iterator[Proxy]:
    with daemon.rpc() as proxy:
        yield proxy


def post(daemon: RunningDaemon, body: bytes, path: str = "/RPC2") -> tuple[int, bytes]:
    status, _, data = http_request(str(daemon.socket_path), "POST", path, body)
    return status, data


def test_cve_2017_11610_attribute_traversal_is_unknown_method(
    rpc: Proxy, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    for name in (
        "supervisor.supervisord.options.warnings.linecache.os.system",
        "supervisor.supervisord.options.execve",
        "supervisor.getPID.__globals__",
        "supervisor.__class__.__init__.__globals__",
    ):
        assert fault(getattr(rpc, name), f"touch {marker}") == (1, "UNKNOWN_METHOD")
    assert not marker.exists()


@pytest.mark.parametrize(
    "name",
    ["supervisor._update", "supervisor._rpc", "_system.listMethods", "system._table", "supervisor"],
)
def test_private_and_malformed_names_are_unknown_method(
    rpc: Proxy, name: str
) -> None:
    assert fault(getattr(rpc, name)) == (1, "UNKNOWN_METHOD")


def test_xml_bombs_and_external_entities_are_rejected(
    daemon: RunningDaemon, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_text("TOPSECRET")
    laughs = "".join(
        f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = (
        f'<?xml version="1.0"?><!DOCTYPE b [<!ENTITY l0 "lol">{laughs}]>'
        "<methodCall><methodName>&l9;</methodName></methodCall>"
    ).encode()
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file://{secret}">]>'
        "<methodCall><methodName>supervisor.getProcessInfo</methodName><params><param>"
        "<value><string>&e;</string></value></param></params></methodCall>"
    ).encode()
    deep = b"<methodCall><methodName>system.multicall</methodName><params><param>"
    deep += b"<value><array><data>" * 500
    for body in (bomb, xxe, deep, b"\x00\x01garbage", b"<methodCall></methodCall>"):
        status, data = post(daemon, body)
        assert status == 400
        assert b"TOPSECRET" not in data


def test_rpc_paths_and_methods(daemon: RunningDaemon) -> None:
    status, data = post(daemon, xmlrpc_body("supervisor.getAPIVersion"), "/RPC2/anything")
    assert status == 200 and b"3.0" in data
    status, _, _ = http_request(str(daemon.socket_path), "GET", "/RPC2")
    assert status == 400


def test_oversized_body_is_413_before_it_is_read(daemon: RunningDaemon) -> None:
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(daemon.socket_path))
        sock.sendall(
            b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nContent-Type: text/xml\r\n"
            b"Content-Length: 1000000000\r\n\r\n"
        )
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413 ")


def test_oversized_chunked_body_is_413(daemon: RunningDaemon) -> None:
    chunk = b"x" * 65536
    with socket.socket(socket.AF_UNIX) as sock:
        sock.settimeout(30)
        sock.connect(str(daemon.socket_path))
        sock.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        try:
            for _ in range(100):  # 6.4 MB
                sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed early: fine
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 413 ")


def test_oversized_headers_are_431(daemon: RunningDaemon) -> None:
    status, headers, _ = http_request(
        str(daemon.socket_path), "GET", "/mainlogtail", headers={"X-Big": "y" * 20000}
    )
    assert status == 431
    assert headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("path", ["/logtail/a%00b", "/logtail/%ff%fe", "/RPC2%00"])
def test_nul_and_invalid_utf8_in_urls_are_400(daemon: RunningDaemon, path: str) -> None:
    status, _, _ = http_request(str(daemon.socket_path), "GET", path)
    assert status == 400


def test_nul_in_the_xml_body_is_400(daemon: RunningDaemon) -> None:
    body = xmlrpc_body("supervisor.getProcessInfo", "a").replace(b">a<", b">a\x00<")
    assert post(daemon, body)[0] == 400


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/RPC2"), ("GET", "/nosuch"), ("GET", "/logtail/nosuch"), ("POST", "/mainlogtail")],
)
def test_every_response_carries_the_security_headers(
    daemon: RunningDaemon, method: str, path: str
) -> None:
    body = b"" if method == "POST" else None
    _, headers, _ = http_request(str(daemon.socket_path), method, path, body)
    for name, value in SECURITY_HEADERS.items():
        assert headers.get(name) == value, (name, headers)
    status, headers, _ = http_request(
        str(daemon.socket_path), "POST", "/RPC2", xmlrpc_body("supervisor.getPID")
    )
    assert status == 200
    assert all(headers.get(k) == v for k, v in SECURITY_HEADERS.items())


@pytest.mark.parametrize(
    "headers",
    [
        {"Content-Type": "text/plain"},  # a cross-site form or no-cors fetch
        {"Content-Type": "application/x-www-form-urlencoded"},
        {"Content-Type": "text/xml", "Origin": "http://evil.example"},
        {"Content-Type": "text/xml", "Sec-Fetch-Site": "cross-site"},
    ],
    ids=["text-plain", "form", "foreign-origin", "sec-fetch-cross-site"],
)
def test_browser_forged_rpc_is_refused_and_changes_nothing(
    daemon: RunningDaemon, headers: dict[str, str]
) -> None:
    """A web page cannot make a visitor's browser stop programs via /RPC2."""
    with daemon.rpc() as proxy:
        assert proxy.supervisor.getProcessInfo("a")["statename"] == "RUNNING"
    body = xmlrpc_body("supervisor.stopProcess", "a")
    status, _, _ = http_request(str(daemon.socket_path), "POST", "/RPC2", body, headers)
    assert status in (403, 415)
    with daemon.rpc() as proxy:
        assert proxy.supervisor.getProcessInfo("a")["statename"] == "RUNNING"


def test_clients_without_browser_headers_still_work(daemon: RunningDaemon) -> None:
    body = xmlrpc_body("supervisor.getState")
    for headers in ({"Content-Type": "text/xml"}, {}, {"Content-Type": "application/xml"}):
        status, _, data = http_request(str(daemon.socket_path), "POST", "/RPC2", body, headers)
        assert status == 200, (headers, data)
        assert b"RUNNING" in data
