"""Attacks on a running minderd, shared by the security tests and the figures.

Each function performs one attack against a real daemon over its real
socket and returns what it measured; the tests assert on the result, and
``python -m tests.security.figures`` prints the same numbers for the
closing note. Every loop is bounded in time and count, and every target is
on this machine (127.0.0.1 or a unix socket).
"""

from __future__ import annotations

import base64
import contextlib
import os
import resource
import socket
import struct
import time
import xmlrpc.client
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass


def rss_kib(pid: int) -> int:
    """The process's resident set size now, in KiB."""
    return _status_field(pid, "VmRSS")


def peak_rss_kib(pid: int) -> int:
    """The process's highest resident set size so far, in KiB."""
    return _status_field(pid, "VmHWM")


def _status_field(pid: int, name: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(name + ":"):
                return int(line.split()[1])
    raise LookupError(name)


def open_fds(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/fd"))


def basic_header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def rpc_request(
    method: str = "supervisor.getPID",
    *,
    authorization: str | None = None,
    host: str = "127.0.0.1",
    close: bool = True,
) -> bytes:
    body = xmlrpc.client.dumps((), method).encode()
    lines = [
        "POST /RPC2 HTTP/1.1",
        f"Host: {host}",
        "Content-Type: text/xml",
        f"Content-Length: {len(body)}",
    ]
    if authorization:
        lines.append(f"Authorization: {authorization}")
    if close:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def raise_own_fd_limit(wanted: int) -> None:
    """Let this (test) process hold ``wanted`` descriptors, as far as the hard limit allows."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < wanted:
        target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))


def read_status(sock: socket.socket, timeout: float) -> int | None:
    """The status code of the response on ``sock``; None if it closed or timed out first."""
    sock.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return None
            data += chunk
    except (TimeoutError, OSError):
        return None
    parts = data.split(b" ", 2)
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None


# --- 1. wrong-password flood ----------------------------------------------------------


@dataclass
class FloodResult:
    requests: int
    seconds: float
    rss_before_kib: int
    rss_after_kib: int
    peak_kib: int
    sigterm_seconds: float | None = None

    @property
    def growth_mib(self) -> float:
        return (self.rss_after_kib - self.rss_before_kib) / 1024


def wrong_password_flood(pid: int, port: int, seconds: float, *, user: str) -> FloodResult:
    """Send wrong-password requests as fast as possible, hanging up on each at once."""
    wrong = rpc_request(authorization=basic_header(user, "not-the-password"))
    before = rss_kib(pid)
    began = time.monotonic()
    sent = 0
    while time.monotonic() - began < seconds and sent < 2_000_000:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            with contextlib.suppress(OSError):
                sock.sendall(wrong)
        sent += 1
    took = time.monotonic() - began
    return FloodResult(sent, took, before, rss_kib(pid), peak_rss_kib(pid))


# --- 2. password guessing -------------------------------------------------------------


@dataclass
class GuessResult:
    guesses_sent: int
    guesses_answered: int
    seconds: float
    found_after: float | None  # seconds until the right password was answered 200

    @property
    def answered_per_second(self) -> float:
        return self.guesses_answered / self.seconds if self.seconds else 0.0


def guess_passwords(
    port: int,
    user: str,
    candidates: list[str],
    *,
    parallel: int,
    seconds: float,
    sources: list[str] | None = None,
    patience: float = 30.0,
) -> GuessResult:
    """Try ``candidates`` over ``parallel`` connections at a time; count the answers.

    A guess counts as answered when the daemon said 200 or 401 about it (a
    429 or a closed connection tells the guesser nothing). Stops at the
    deadline, or when every candidate got an answer. ``sources``: loopback
    addresses to connect from in turn (a guesser with many addresses).
    ``patience``: a guess not answered by then is given up (its connection
    closed), as a guesser does when the right password is the one answered
    at once.
    """
    import selectors

    began = time.monotonic()
    deadline = began + seconds
    todo = list(reversed(candidates))
    selector = selectors.DefaultSelector()
    pending: dict[socket.socket, bytearray] = {}
    sent_at: dict[socket.socket, float] = {}
    sent = answered = 0
    found: float | None = None

    def launch() -> None:
        nonlocal sent
        while todo and len(pending) < parallel and time.monotonic() < deadline:
            guess = todo.pop()
            source = (sources[sent % len(sources)], 0) if sources else None
            sock = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=source)
            sock.sendall(rpc_request(authorization=basic_header(user, guess)))
            sock.setblocking(False)
            pending[sock] = bytearray()
            sent_at[sock] = time.monotonic()
            selector.register(sock, selectors.EVENT_READ)
            sent += 1

    try:
        launch()
        while pending and time.monotonic() < deadline:
            wait = max(0.0, min(0.05, deadline - time.monotonic()))
            for key, _ in selector.select(timeout=wait):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                data = pending[sock]
                try:
                    chunk = sock.recv(4096)
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                data += chunk
                if chunk and b"\r\n" not in data:
                    continue
                status = data.split(b" ", 2)[1] if data.count(b" ") >= 2 else b""
                if status in (b"200", b"401"):
                    answered += 1
                if status == b"200" and found is None:
                    found = time.monotonic() - began
                selector.unregister(sock)
                sock.close()
                del pending[sock]
            now = time.monotonic()
            for sock in [s for s in pending if now - sent_at[s] > patience]:
                selector.unregister(sock)
                sock.close()
                del pending[sock]
            launch()
    finally:
        for sock in pending:
            selector.unregister(sock)
            sock.close()
        selector.close()
    return GuessResult(sent, answered, time.monotonic() - began, found)


def timed_login(
    port: int, authorization: str, source: str = "127.0.0.1"
) -> tuple[float, int | None]:
    """(seconds, status) of one XML-RPC call with these credentials from ``source``."""
    began = time.monotonic()
    address = ("127.0.0.1", port)
    with socket.create_connection(address, timeout=30, source_address=(source, 0)) as sock:
        sock.sendall(rpc_request(authorization=authorization))
        status = read_status(sock, 30)
    return time.monotonic() - began, status


# --- 4. connection flood --------------------------------------------------------------


@contextmanager
def connection_flood(
    port: int, count: int, *, trickle: bool = True
) -> Iterator[list[socket.socket]]:
    """Hold ``count`` connections open, each having sent the first bytes of a head
    (and never the rest), for as long as the block runs."""
    raise_own_fd_limit(count + 256)
    socks: list[socket.socket] = []
    try:
        for _ in range(count):
            try:
                sock = socket.create_connection(("127.0.0.1", port), timeout=2)
            except OSError:
                continue  # refused or timed out under the flood: it still counts as tried
            if trickle:
                with contextlib.suppress(OSError):
                    sock.sendall(b"POST /RPC2 HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            socks.append(sock)
        yield socks
    finally:
        for sock in socks:
            sock.close()


def timed_call(proxy_url: str, timeout: float = 30.0) -> float:
    """Seconds one authorised XML-RPC call took (raises if it failed)."""
    transport = _TimeoutTransport(timeout)
    began = time.monotonic()
    with xmlrpc.client.ServerProxy(proxy_url, transport=transport) as proxy:
        proxy.supervisor.getState()
    return time.monotonic() - began


class _TimeoutTransport(xmlrpc.client.Transport):
    def __init__(self, timeout: float) -> None:
        super().__init__()
        self._timeout = timeout

    def make_connection(self, host: object) -> object:  # type: ignore[override]
        conn = super().make_connection(host)  # type: ignore[arg-type]
        conn.timeout = self._timeout
        return conn


# --- 3. DNS rebinding -----------------------------------------------------------------


def request_as(
    target: int | str,
    method: str,
    path: str,
    body: bytes | None,
    headers: dict[str, str],
    timeout: float = 10.0,
) -> tuple[int, bytes]:
    """One request to a TCP port (int) or unix socket (str) with exactly the
    ``Host`` given in ``headers`` (http.client would add its own)."""
    import http.client

    from tests.support.daemons import UnixStreamHTTPConnection

    conn: http.client.HTTPConnection
    if isinstance(target, int):
        conn = http.client.HTTPConnection("127.0.0.1", target, timeout=timeout)
    else:
        conn = UnixStreamHTTPConnection(target, timeout=timeout)
    try:
        conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
        for name, value in headers.items():
            conn.putheader(name, value)
        if body is not None:
            conn.putheader("Content-Length", str(len(body)))
        conn.endheaders(body)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()
