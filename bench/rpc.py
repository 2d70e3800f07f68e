"""A minimal XML-RPC client over a unix socket, one connection per call.

supervisorctl opens a fresh connection for every call, and so do we: the
latency figures then include accept() and request parsing, which is what a
real client pays. The client is deliberately tiny (no retries, no pooling)
so that its own cost is the same for both daemons.
"""

from __future__ import annotations

import http.client
import socket
import xmlrpc.client
from typing import Any


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._unix_path)
        except BaseException:
            sock.close()  # the daemon is not listening yet: don't leak the fd
            raise
        self.sock = sock


class RpcFault(Exception):
    """The daemon answered with an XML-RPC Fault."""


def call(sock_path: str, method: str, *params: Any, timeout: float = 30.0) -> Any:
    """Call ``method`` on the daemon listening on ``sock_path``; return the result."""
    body = xmlrpc.client.dumps(params, method).encode()
    conn = _UnixHTTPConnection(sock_path, timeout)
    try:
        conn.request("POST", "/RPC2", body, {"Content-Type": "text/xml"})
        resp = conn.getresponse()
        data = resp.read()
        if resp.status != 200:
            raise RpcFault(f"HTTP {resp.status} from {method}")
    finally:
        conn.close()
    try:
        (result,), _ = xmlrpc.client.loads(data)
    except xmlrpc.client.Fault as exc:
        raise RpcFault(f"{method}: {exc.faultString}") from exc
    return result
