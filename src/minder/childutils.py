"""Helpers for programs run by minder, compatible with ``supervisor.childutils``.

An event listener written for supervisord keeps working after replacing
``from supervisor import childutils`` with ``from minder import childutils``:
same names, same signatures. Standard library (and ``minder.protocol``)
only, so a listener starts fast and needs nothing of the daemon.

Payload lengths are counted in UTF-8 bytes (as minderd sends them), and a
text-mode stdin is read until that many bytes have arrived, so a non-ASCII
payload never desynchronises the listener.
"""

from __future__ import annotations

import base64
import http.client
import socket
import sys
import time
import xmlrpc.client
from collections.abc import Mapping
from typing import IO, Any
from urllib.parse import urlsplit

from minder.protocol.events import (
    CAPTURE_BEGIN,
    CAPTURE_END,
    READY_TOKEN,
    RESULT_FAIL,
    RESULT_OK,
    parse_tokens,
    result_message,
)

__all__ = [
    "EventListenerProtocol",
    "ProcessCommunicationsProtocol",
    "SupervisorTransport",
    "eventdata",
    "getRPCInterface",
    "getRPCTransport",
    "get_asctime",
    "get_headers",
    "listener",
    "pcomm",
]


# --- XML-RPC back to the daemon ------------------------------------------


class _UnixHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float | None = None) -> None:
        super().__init__("localhost", timeout=timeout)
        self._unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        if self.timeout is not None:
            sock.settimeout(self.timeout)
        sock.connect(self._unix_path)
        self.sock = sock


class SupervisorTransport(xmlrpc.client.Transport):
    """XML-RPC over ``unix:///path`` or ``http://host:port``, with basic auth."""

    def __init__(self, username: str | None, password: str | None, serverurl: str) -> None:
        super().__init__()
        self.serverurl = serverurl
        self._auth: str | None = None
        if username:
            raw = f"{username}:{password or ''}".encode()
            self._auth = "Basic " + base64.b64encode(raw).decode("ascii")
        parts = urlsplit(serverurl)
        if parts.scheme == "unix":
            self._unix_path: str | None = serverurl[len("unix://") :]
            self._netloc = "localhost"
        elif parts.scheme == "http":
            self._unix_path = None
            self._netloc = parts.netloc or "localhost"
        else:
            raise ValueError(f"unknown protocol for serverurl {serverurl}")

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        if self._unix_path is not None:
            return _UnixHTTPConnection(self._unix_path)
        return http.client.HTTPConnection(self._netloc)

    def send_headers(
        self, connection: http.client.HTTPConnection, headers: list[tuple[str, str]]
    ) -> None:
        super().send_headers(connection, headers)
        if self._auth is not None:
            connection.putheader("Authorization", self._auth)


def getRPCTransport(env: Mapping[str, str]) -> SupervisorTransport:
    """The transport to the daemon that started this process (from ``env``)."""
    return SupervisorTransport(
        env.get("SUPERVISOR_USERNAME", ""),
        env.get("SUPERVISOR_PASSWORD", ""),
        env["SUPERVISOR_SERVER_URL"],
    )


def getRPCInterface(env: Mapping[str, str]) -> xmlrpc.client.ServerProxy:
    """An XML-RPC proxy (``.supervisor.getState()`` ...) to the daemon."""
    # ServerProxy insists on an http URL; the transport decides where to connect.
    return xmlrpc.client.ServerProxy("http://127.0.0.1", getRPCTransport(env))


# --- parsing ---------------------------------------------------------------


def get_headers(line: str) -> dict[str, str]:
    """``key:value key:value`` into a dict."""
    return parse_tokens(line)


def eventdata(payload: str) -> tuple[dict[str, str], str]:
    """A payload's first (token) line as a dict, and the data after it."""
    head, _, data = payload.partition("\n")
    return get_headers(head), data


def get_asctime(now: float | None = None) -> str:
    """``YYYY-MM-DD HH:MM:SS,mmm`` in local time, the main log's format."""
    if now is None:
        now = time.time()
    msecs = int((now - int(now)) * 1000)
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(now)) + f",{msecs:03d}"


# --- writing to text or binary streams -------------------------------------


def _write(stream: IO[Any], data: bytes) -> None:
    try:
        stream.write(data.decode("utf-8"))
    except TypeError:  # a binary stream
        stream.write(data)
    stream.flush()


def _read_payload(stdin: IO[Any], nbytes: int) -> str:
    """Exactly ``nbytes`` UTF-8 bytes from a text or binary stream, as text."""
    first = stdin.read(0)
    if isinstance(first, bytes):
        raw = stdin.read(nbytes) if nbytes else b""
        return bytes(raw).decode("utf-8", "replace")
    text = ""
    counted = 0
    while counted < nbytes:
        # A character is at most four bytes: reading a quarter of what is
        # missing (at least one character) never reads past the payload.
        chunk = stdin.read(max(1, (nbytes - counted) // 4))
        if not chunk:
            break
        text += chunk
        counted += len(chunk.encode("utf-8"))
    return text


# --- the protocols ---------------------------------------------------------


class ProcessCommunicationsProtocol:
    """Send a PROCESS_COMMUNICATION message (needs *_capture_maxbytes > 0)."""

    def send(self, msg: str | bytes, fp: IO[Any] | None = None) -> None:
        body = msg.encode("utf-8") if isinstance(msg, str) else msg
        _write(fp if fp is not None else sys.stdout, CAPTURE_BEGIN + body + CAPTURE_END)

    def stdout(self, msg: str | bytes) -> None:
        self.send(msg, sys.stdout)

    def stderr(self, msg: str | bytes) -> None:
        self.send(msg, sys.stderr)


class EventListenerProtocol:
    """The listener side: READY, wait for an event, answer with a RESULT."""

    def wait(
        self, stdin: IO[Any] | None = None, stdout: IO[Any] | None = None
    ) -> tuple[dict[str, str], str]:
        """Say READY, then block until an event arrives: (headers, payload)."""
        stdin = stdin if stdin is not None else sys.stdin
        self.ready(stdout)
        line = stdin.readline()
        if isinstance(line, bytes):
            line = line.decode("utf-8")
        if not line:
            raise EOFError("stdin closed while waiting for an event")
        headers = get_headers(line)
        return headers, _read_payload(stdin, int(headers["len"]))

    def ready(self, stdout: IO[Any] | None = None) -> None:
        _write(stdout if stdout is not None else sys.stdout, READY_TOKEN)

    def ok(self, stdout: IO[Any] | None = None) -> None:
        self.send(RESULT_OK, stdout)

    def fail(self, stdout: IO[Any] | None = None) -> None:
        self.send(RESULT_FAIL, stdout)

    def send(self, data: str | bytes, stdout: IO[Any] | None = None) -> None:
        body = data.encode("utf-8") if isinstance(data, str) else data
        _write(stdout if stdout is not None else sys.stdout, result_message(body))


pcomm = ProcessCommunicationsProtocol()
listener = EventListenerProtocol()
