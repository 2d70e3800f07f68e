"""Shared helpers of the XML-RPC, HTTP and security e2e tests (no tests here)."""

from __future__ import annotations

import base64
import http.client
import sys
import xmlrpc.client
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from tests.support.daemons import UnixStreamHTTPConnection

NOISY = """\
import sys, time
sys.stdout.buffer.write(b"ok\\xff\\x00\\x1b[31mred\\r\\n")
sys.stdout.flush()
time.sleep(1000)
"""

IGNORE_TERM = """\
import signal, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
print("ignoring TERM", flush=True)
time.sleep(1000)
"""


def write_script(workdir: Path, name: str, text: str) -> str:
    path = workdir / name
    path.write_text(text)
    return f"{sys.executable} {path}"


def fault(call: Callable[..., Any], *args: Any) -> tuple[int, str]:
    """The (code, string) of the Fault a call raises."""
    with pytest.raises(xmlrpc.client.Fault) as info:
        call(*args)
    return info.value.faultCode, info.value.faultString


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def http_request(
    sock_path: str | None,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    port: int | None = None,
    timeout: float = 30.0,
) -> tuple[int, dict[str, str], bytes]:
    """One raw HTTP request over the unix socket (or TCP port); returns status, headers, body."""
    conn: http.client.HTTPConnection
    if port is not None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    else:
        assert sock_path is not None
        conn = UnixStreamHTTPConnection(sock_path, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_accept_encoding=True)
        for name, value in (headers or {}).items():
            conn.putheader(name, value)
        if body is not None and not any(h.lower() == "content-length" for h in headers or {}):
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        conn.close()


def xmlrpc_body(method: str, *params: Any) -> bytes:
    return xmlrpc.client.dumps(params, method).encode()


def tcp_proxy(port: int, user: str | None = None, password: str = "") -> Any:
    creds = f"{quote(user, safe='')}:{quote(password, safe='')}@" if user else ""
    return xmlrpc.client.ServerProxy(f"http://{creds}127.0.0.1:{port}/RPC2")
