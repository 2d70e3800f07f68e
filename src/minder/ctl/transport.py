"""HTTP/1.1 to the daemon over a unix socket or TCP, by hand.

Why not ``http.client``: importing it (and the ``email`` package behind it)
costs more than everything else a ``minderctl status`` does. The daemon
speaks plain HTTP/1.1 (Content-Length or chunked bodies, keep-alive), so a
small client is enough: one connection is kept open and reused for every
call of a command, and re-opened once if the daemon closed it meanwhile.

Sockets come from ``_socket``, the C module under ``socket``: the Python
wrapper imports ``selectors``, ``collections`` and builds enums at import,
about a quarter of a short run, and we use none of it.
"""

from __future__ import annotations

import _socket

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from collections.abc import Iterator
    from typing import Any


class AuthRequired(Exception):
    """The daemon answered 401: missing or wrong username/password."""


class HttpError(Exception):
    """Any other non-200 answer."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(f"{status} {reason}")
        self.status = status
        self.reason = reason


def _basic_auth(username: str | None, password: str | None) -> str | None:
    if not username:
        return None
    import binascii

    token = binascii.b2a_base64(f"{username}:{password or ''}".encode(), newline=False)
    return "Basic " + token.decode()


class Connection:
    """One keep-alive HTTP connection to ``serverurl`` (``unix://`` or ``http://``)."""

    def __init__(
        self,
        serverurl: str,
        username: str | None = None,
        password: str | None = None,
        timeout: float | None = None,
    ) -> None:
        self.serverurl = serverurl
        self.auth = _basic_auth(username, password)
        self.timeout = timeout
        self.sock: _socket.socket | None = None
        self.buffer = b""
        if serverurl.startswith("unix://"):
            self.unix_path: str | None = serverurl[len("unix://") :]
            self.address: tuple[str, int] | None = None
            self.host_header = "localhost"
        else:
            self.unix_path = None
            hostport = serverurl.split("://", 1)[-1].split("/", 1)[0]
            host, _, port = hostport.rpartition(":")
            if not host or not port.isdigit():
                host, port = hostport, "80"
            self.address = (host.strip("[]"), int(port))
            self.host_header = hostport

    # -- connection management -------------------------------------------
    def _connect(self) -> _socket.socket:
        if self.unix_path is not None:
            return self._open(_socket.AF_UNIX, self.unix_path)
        assert self.address is not None
        host, port = self.address
        last_error: OSError = OSError(f"cannot resolve {host}")
        for family, kind, proto, _, address in _socket.getaddrinfo(
            host, port, 0, _socket.SOCK_STREAM
        ):
            try:
                return self._open(family, address, kind, proto)
            except OSError as exc:
                last_error = exc
        raise last_error

    def _open(self, family: int, address: str | tuple[Any, ...], kind: int = _socket.SOCK_STREAM,
              proto: int = 0) -> _socket.socket:
        sock = _socket.socket(family, kind, proto)
        try:
            sock.settimeout(self.timeout)
            sock.connect(address)
        except BaseException:
            sock.close()
            raise
        return sock

    def close(self) -> None:
        """Close; also wakes a thread blocked reading this connection (fg, tail -f)."""
        sock, self.sock = self.sock, None  # another thread may be closing it too
        if sock is not None:
            try:  # noqa: SIM105 - contextlib would be this module's costliest import
                sock.shutdown(_socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()
        self.buffer = b""

    # -- reading -----------------------------------------------------------
    def _fill(self) -> bool:
        sock = self.sock
        if sock is None:
            raise ConnectionResetError("connection closed")
        chunk = sock.recv(65536)
        if not chunk:
            return False
        self.buffer += chunk
        return True

    def _read_line(self) -> bytes:
        while b"\r\n" not in self.buffer:
            if not self._fill():
                raise ConnectionResetError("connection closed by the daemon")
        line, _, self.buffer = self.buffer.partition(b"\r\n")
        return line

    def _read_exact(self, size: int) -> bytes:
        """``size`` bytes of body. The pieces are joined once at the end: growing
        one buffer by ``+=`` copied it per piece, and for a 5 MB answer the copies
        (and the page faults of each fresh copy) cost more than decoding it."""
        buffer = self.buffer
        if len(buffer) < size:
            sock = self.sock
            if sock is None:
                raise ConnectionResetError("connection closed")
            pieces = [buffer]
            have = len(buffer)
            while have < size:
                piece = sock.recv(max(65536, size - have))
                if not piece:
                    raise ConnectionResetError("connection closed by the daemon")
                pieces.append(piece)
                have += len(piece)
            buffer = b"".join(pieces)
        # a whole-bytes slice is the object itself: no copy when the body ends the buffer
        data, self.buffer = buffer[:size], buffer[size:]
        return data

    def _read_head(self) -> tuple[int, str, dict[str, str]]:
        status_line = self._read_line().decode("latin-1")
        parts = status_line.split(" ", 2)
        if len(parts) < 2 or not parts[1].isdigit():
            raise ConnectionResetError(f"bad HTTP status line {status_line!r}")
        headers: dict[str, str] = {}
        while True:
            line = self._read_line()
            if not line:
                break
            key, _, value = line.decode("latin-1").partition(":")
            headers[key.strip().lower()] = value.strip()
        return int(parts[1]), parts[2] if len(parts) > 2 else "", headers

    def _iter_body(self, headers: dict[str, str]) -> Iterator[bytes]:
        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(self._read_line().split(b";", 1)[0].strip() or b"0", 16)
                if size == 0:
                    while self._read_line():  # trailers
                        pass
                    return
                yield self._read_exact(size)
                self._read_exact(2)
        elif "content-length" in headers:
            yield self._read_exact(int(headers["content-length"]))
        else:
            if self.buffer:
                yield self.buffer
                self.buffer = b""
            while self._fill():
                yield self.buffer
                self.buffer = b""
            self.close()

    # -- requests ----------------------------------------------------------
    def _send(self, method: str, path: str, body: bytes, extra: dict[str, str]) -> None:
        head = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}"]
        if self.auth:
            head.append(f"Authorization: {self.auth}")
        head.extend(f"{k}: {v}" for k, v in extra.items())
        if method == "POST":
            head.append(f"Content-Length: {len(body)}")
        data = ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body
        assert self.sock is not None
        self.sock.sendall(data)

    def _open_response(
        self, method: str, path: str, body: bytes, extra: dict[str, str]
    ) -> tuple[int, str, dict[str, str]]:
        reused = self.sock is not None
        if self.sock is None:
            self.sock = self._connect()
        try:
            self._send(method, path, body, extra)
            return self._read_head()
        except (ConnectionResetError, BrokenPipeError):
            if not reused:
                raise
            # the daemon closed our idle keep-alive connection: try once more
            self.close()
            self.sock = self._connect()
            self._send(method, path, body, extra)
            return self._read_head()

    def post(self, path: str, body: bytes) -> bytes:
        """POST ``body`` and return the whole answer body (200 only)."""
        status, reason, headers = self._open_response(
            "POST", path, body, {"Content-Type": "text/xml"}
        )
        data = b"".join(self._iter_body(headers))
        if headers.get("connection", "").lower() == "close":
            self.close()
        if status == 401:
            self.close()
            raise AuthRequired()
        if status != 200:
            raise HttpError(status, reason)
        return data

    def stream(self, path: str) -> Iterator[bytes]:
        """GET ``path`` and yield the body as it arrives (for /logtail)."""
        status, reason, headers = self._open_response("GET", path, b"", {})
        if status == 401:
            self.close()
            raise AuthRequired()
        if status != 200:
            self.close()
            raise HttpError(status, reason)
        try:
            yield from self._iter_body(headers)
        finally:
            self.close()


class RpcClient:
    """``client.call("supervisor.getState")`` over one keep-alive Connection."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def call(self, method: str, *params: object) -> Any:
        from minder.ctl.wire import decode_response, encode_call

        body = self.connection.post("/RPC2", encode_call(method, params))
        return decode_response(body)

    def close(self) -> None:
        self.connection.close()
