"""The bytes of the fast path's GET requests: which it may serve, and its answers.

Why: loading aiohttp takes minderd from ~22 MB to ~42 MB for good, and
opening the web UI or scraping ``/metrics`` used to be enough to load it.
The fast path (fastpath.py) now also serves the plainest ``GET`` requests
the UI's reading and a Prometheus scrape make (see lightweb.py for which
paths); everything else, and anything unusual about the head, is handed
to aiohttp exactly as before. As in wire.py: when in doubt, FOREIGN.

A head is ours only if it is a bodiless ``GET`` of an origin-form target
with no ``%`` in its path (so no decoding or normalisation question
arises), small well-formed headers within hygiene.py's limits, and a
``Host`` we can read without guessing.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from minder.http.hygiene import PARSER_MAX_HEADERS, SECURITY_HEADERS, SERVER_NAME, is_clean_url
from minder.http.wire import Verdict, _fields, head_lines, http_date
from minder.records import record

_PREFIX = b"GET /"
MAX_GET_LINE = 4096
# Path characters that need no decoding; a query may hold '%' escapes.
_TARGET = re.compile(r"(/[A-Za-z0-9_.~!$&'()*+,;=:@/-]*)(?:\?([\x21-\x7e]*))?")
_HOST = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(?::[0-9]{1,5})?")
_BODY_HEADERS = ("content-length", "transfer-encoding", "expect", "upgrade", "content-type")
_REASONS = {
    200: "OK",
    304: "Not Modified",
    404: "Not Found",
    500: "Internal Server Error",
}


@record
class GetHead:
    """A GET the fast path may serve (whether a route wants it is lightweb's call)."""

    path: str
    query: dict[str, str]  # the first value of each name, decoded (as aiohttp's .get)
    http11: bool
    keep_alive: bool
    end: int  # offset just after the head
    host: str  # lower-case, without port or IPv6 brackets
    headers: dict[str, str]  # lower-case names

    @property
    def authorization(self) -> str | None:
        return self.headers.get("authorization")


def maybe_get(buf: bytes | bytearray) -> bool:
    """Could the buffer's request be a GET (its first bytes say so, or too few yet)?"""
    return buf[: len(_PREFIX)] == _PREFIX[: len(buf)]


def scan_get(buf: bytes | bytearray, searched: int = 0) -> GetHead | Verdict:
    """Judge the GET at the start of ``buf`` (call only when ``maybe_get``)."""
    found = head_lines(buf, searched, MAX_GET_LINE, lambda line: line.startswith("GET /"))
    if isinstance(found, Verdict):
        return found
    lines, end = found
    parts = lines[0].split(" ")
    if len(parts) != 3 or parts[0] != "GET" or parts[2] not in ("HTTP/1.1", "HTTP/1.0"):
        return Verdict.FOREIGN
    target = _TARGET.fullmatch(parts[1])
    if target is None or len(parts[1]) > MAX_GET_LINE or not is_clean_url(parts[1]):
        return Verdict.FOREIGN
    if "/." in target.group(1) or "//" in target.group(1):
        return Verdict.FOREIGN  # dot segments and empty ones: aiohttp's to normalise
    if len(lines) - 1 > PARSER_MAX_HEADERS:
        return Verdict.FOREIGN
    headers = _fields(lines)
    if headers is None or any(name in headers for name in _BODY_HEADERS):
        return Verdict.FOREIGN
    host = _host(headers.get("host", ""))
    if host is None:
        return Verdict.FOREIGN
    http11 = parts[2] == "HTTP/1.1"
    tokens = {t.strip(" \t").lower() for t in headers.get("connection", "").split(",")}
    if "upgrade" in tokens:
        return Verdict.FOREIGN
    keep_alive = "close" not in tokens if http11 else "keep-alive" in tokens
    query: dict[str, str] = {}
    for name, value in parse_qsl(target.group(2) or "", keep_blank_values=True):
        query.setdefault(name, value)
    return GetHead(target.group(1), query, http11, keep_alive, end + 4, host, headers)


def _host(raw: str) -> str | None:
    """The Host header's name, as aiohttp's ``request.url.host`` reads it; None if unusual."""
    if not raw or not _HOST.fullmatch(raw):
        return None
    name = raw[1:].partition("]")[0] if raw.startswith("[") else raw.partition(":")[0]
    return name.lower()


@record
class Answer:
    """What a light route answers: the fast path frames it."""

    status: int
    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


def frame(answer: Answer, *, http11: bool, keep_alive: bool) -> bytes:
    """The whole response, with the headers security.py gives aiohttp's answers."""
    return _head(answer, http11=http11, keep_alive=keep_alive, length=True) + answer.body


def stream_head(answer: Answer, *, http11: bool) -> bytes:
    """The head of a response whose body follows in ``chunk``s (HTTP/1.0: until close)."""
    return _head(answer, http11=http11, keep_alive=http11, length=False)


def chunk(data: bytes, *, http11: bool) -> bytes:
    """One piece of a streamed body; ``b""`` makes the closing chunk."""
    return f"{len(data):x}\r\n".encode() + data + b"\r\n" if http11 else data


def _head(answer: Answer, *, http11: bool, keep_alive: bool, length: bool) -> bytes:
    lines = [
        f"HTTP/1.{int(http11)} {answer.status} {_REASONS[answer.status]}",
        f"Content-Length: {len(answer.body)}" if length else "Transfer-Encoding: chunked",
        f"Date: {http_date()}",
        f"Server: {SERVER_NAME}",
    ]
    if not length and not http11:
        lines[1] = "Connection: close"
    if answer.status != 304:
        lines.append(f"Content-Type: {answer.content_type}")
    csp = None
    for name, value in answer.headers:
        if name == "Content-Security-Policy":
            csp = value if "frame-ancestors" in value else f"{value}; frame-ancestors 'none'"
        else:
            lines.append(f"{name}: {value}")
    for name, value in SECURITY_HEADERS.items():
        lines.append(f"{name}: {csp if name == 'Content-Security-Policy' and csp else value}")
    if length and not keep_alive:
        lines.append("Connection: close")
    elif length and not http11:
        lines.append("Connection: keep-alive")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("utf-8")
