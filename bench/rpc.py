"""XML-RPC clients for the bench, over a unix socket, one connection per call.

supervisorctl opens a fresh connection for every call, and so do we: the
figures include accept() and request parsing, which is what a real client
pays. Two clients, for two different questions:

* ``call`` (http.client + xmlrpc.client) returns the decoded result. The
  harness uses it to drive and observe the daemons, and the rpc scenario
  reports its latency as "incl. client parse": what a Python client such as
  supervisorctl waits for, decoding included.
* ``exchange`` measures the daemon. The request bytes are made once
  (``prepare``); a call is connect, send, and read until the whole
  Content-Length body is in, timed to its last byte, into a reused buffer.
  Decoding a 500-process getAllProcessInfo reply (about 600 KB) takes a
  Python client ~25 ms, longer than minderd takes to make it, and is the
  same for both daemons, so it has no place inside the timed region. It is
  still done, outside it (``decode`` + ``check_result``), so that an error
  reply can never count as a fast success; ``check_reply`` makes the cheap
  checks that every reply gets even under load (status 200, a complete
  body, a ``<params>`` response and not a ``<fault>``).
"""

from __future__ import annotations

import http.client
import socket
import time
import xmlrpc.client
from typing import Any

PROCESS_INFO_KEYS = frozenset(
    {
        "name",
        "group",
        "start",
        "stop",
        "now",
        "state",
        "statename",
        "spawnerr",
        "exitstatus",
        "logfile",
        "stdout_logfile",
        "stderr_logfile",
        "pid",
        "description",
    }
)
MAX_HEAD = 64 * 1024


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
    """The daemon answered with an XML-RPC Fault, or not with a valid reply."""


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
    return decode(method, data)


def decode(method: str, body: bytes) -> Any:
    """The result of an XML-RPC reply body; a Fault or bad XML is an RpcFault."""
    try:
        (result,), _ = xmlrpc.client.loads(body)
    except xmlrpc.client.Fault as exc:
        raise RpcFault(f"{method}: {exc.faultString}") from exc
    except Exception as exc:  # expat and value errors: not a well-formed reply
        raise RpcFault(f"{method}: malformed reply ({exc})") from exc
    return result


def prepare(method: str, *params: Any) -> bytes:
    """The whole HTTP request for one call, made once and sent as is every time."""
    body = xmlrpc.client.dumps(params, method).encode()
    head = (
        "POST /RPC2 HTTP/1.1\r\n"
        "Host: localhost\r\n"
        "Content-Type: text/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n"
        "\r\n"
    )
    return head.encode("ascii") + body


def _body_length(head: bytes) -> int:
    """Check the status line and return Content-Length (both daemons send it)."""
    lines = head.split(b"\r\n")
    status = lines[0].split(None, 2)
    if len(status) < 2 or not status[0].startswith(b"HTTP/1.") or status[1] != b"200":
        raise RpcFault(f"bad status line {lines[0][:80]!r}")
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return int(value)
    raise RpcFault("reply has no Content-Length")


class Buffer:
    """A receive buffer reused across calls, so reading allocates nothing."""

    def __init__(self, size: int = 1 << 20) -> None:
        self.data = bytearray(size)

    def room(self, need: int, keep: int) -> memoryview:
        """A view of at least ``need`` bytes whose first ``keep`` are kept."""
        if need > len(self.data):
            bigger = bytearray(max(need, 2 * len(self.data)))
            bigger[:keep] = memoryview(self.data)[:keep]
            self.data = bigger
        return memoryview(self.data)


def exchange(
    sock_path: str, request: bytes, buf: Buffer, timeout: float = 30.0
) -> tuple[float, memoryview]:
    """One call on a new connection: (seconds from connect to the body's last
    byte, the body). The body is a view into ``buf``, valid until its next use."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        t0 = time.perf_counter()
        sock.connect(sock_path)
        sock.sendall(request)
        view = buf.room(MAX_HEAD, 0)
        got = 0
        start = end = -1
        while end < 0 or got < end:
            if got == len(view):
                view = buf.room(2 * got, got)
            n = sock.recv_into(view[got:])
            if n == 0:
                raise RpcFault(f"connection closed after {got} bytes")
            got += n
            if end < 0:
                head_end = buf.data.find(b"\r\n\r\n", 0, got)
                if head_end < 0:
                    if got >= MAX_HEAD:
                        raise RpcFault("reply header too long")
                    continue
                start = head_end + 4
                end = start + _body_length(bytes(buf.data[:head_end]))
                view = buf.room(end, got)
        elapsed = time.perf_counter() - t0
    finally:
        sock.close()
    return elapsed, view[start:end]


def check_reply(body: memoryview, size: int = 0) -> None:
    """The cheap checks every reply gets: a response with ``<params>`` (a fault
    has ``<fault>`` there), ended, and, given the size of a reply that was
    fully checked, within 10 % of it."""
    head = bytes(body[:120])
    if not head.startswith(b"<?xml") or b"<methodResponse>" not in head:
        raise RpcFault(f"not a methodResponse: {head[:60]!r}")
    if b"<params>" not in head:
        raise RpcFault(f"not a result (a fault?): {head[:120]!r}")
    if not bytes(body[-40:]).rstrip().endswith(b"</methodResponse>"):
        raise RpcFault("reply does not end with </methodResponse>")
    if size and abs(len(body) - size) > size // 10:
        raise RpcFault(f"reply of {len(body)} bytes, expected about {size}")


def check_result(method: str, result: Any, n: int, *params: Any) -> None:
    """The decoded result has the shape the scenario expects: process-info
    structs with supervisord's field set, all RUNNING."""
    infos: list[Any]
    if method == "supervisor.getAllProcessInfo":
        if not isinstance(result, list) or len(result) != n:
            raise RpcFault(f"{method}: expected {n} structs, got {type(result).__name__}")
        infos = result
    elif method == "supervisor.getProcessInfo":
        if not isinstance(result, dict) or result.get("name") != params[0]:
            raise RpcFault(f"{method}: expected the struct of {params[0]}")
        infos = [result]
    else:
        return
    for info in infos:
        if not isinstance(info, dict) or set(info) != PROCESS_INFO_KEYS:
            raise RpcFault(f"{method}: struct fields {sorted(info)}")
        if info["statename"] != "RUNNING":
            raise RpcFault(f"{method}: {info['name']} is {info['statename']}")
