"""The bytes of the XML-RPC fast path: which requests it may serve, and its answers.

Why hand-written: the fast path (fastpath.py) serves supervisorctl's calls
without aiohttp, whose per-request cost and import were most of minderd's
RPC latency and memory. It serves only the plainest request there is —
``POST /RPC2`` with a Content-Length body and well-formed, small headers —
and ``scan_head`` says FOREIGN for anything else, however valid, so that
aiohttp (the one implementation of every error status) answers it. When
in doubt, FOREIGN: being too strict here costs speed, never correctness.

The limits are those of security.py (via hygiene.py), measured so that a
head this module accepts is one the aiohttp middleware would accept too.
"""

from __future__ import annotations

import enum
import re
import time
from collections.abc import Callable
from email.utils import formatdate

from minder.http.crosssite import cross_site_refusal
from minder.http.hygiene import (
    MAX_BODY_BYTES,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADER_TOTAL_BYTES,
    PARSER_MAX_HEADERS,
    SECURITY_HEADERS,
    SERVER_NAME,
)
from minder.records import record


class Verdict(enum.Enum):
    INCOMPLETE = "incomplete"  # not a whole head yet, and nothing rules it out so far
    FOREIGN = "foreign"  # not for the fast path: hand the connection to aiohttp


@record
class RpcHead:
    """A request head the fast path may serve, once its body parses."""

    http11: bool
    keep_alive: bool
    body_start: int  # offset of the body in the buffer
    content_length: int
    authorization: str | None
    host: str | None = None


# The route is /RPC2{rest:.*}; a rest with '%', '.' or a query string may
# be normalised or decoded by aiohttp's URL handling, so it is not ours.
_TARGET = re.compile(r"/RPC2[A-Za-z0-9_/~-]*")
# A token, a colon, and a value of visible characters, spaces and tabs
# (no NUL, CR, LF or other controls; UTF-8 beyond ASCII is fine).
# Possessive, so a hostile line cannot make the match backtrack.
_FIELD = re.compile(r"([!#$%&'*+.^_`|~0-9A-Za-z-]++):[ \t]*+([^\x00-\x08\x0a-\x1f\x7f]*+)")
_MEDIA_TYPE = re.compile(r"[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+")
_PREFIX = b"POST /RPC2"
# Longest request line the fast path considers (supervisorctl sends 22 bytes).
MAX_FAST_LINE = 256
# A head longer than this cannot be within the header limits.
MAX_FAST_HEAD = MAX_FAST_LINE + MAX_HEADER_TOTAL_BYTES + 2 * PARSER_MAX_HEADERS
# Headers that may not repeat; a repeated one is FOREIGN. Those that decide
# what the fast path does (aiohttp reads the first, an intermediary may have
# read the last), and RFC 9110's singletons, which aiohttp's strict request
# parser refuses when repeated: the fast path must never serve a request
# aiohttp would answer 400 (tests/unit/test_http_framing_differential.py).
_DECISIVE = frozenset(
    {
        "authorization",
        "connection",
        "content-length",
        "content-location",
        "content-range",
        "content-type",
        "etag",
        "expect",
        "host",
        "max-forwards",
        "origin",
        "sec-fetch-site",
        "server",
        "transfer-encoding",
        "upgrade",
        "user-agent",
        "x-forwarded-host",
    }
)
_NOT_OURS = ("transfer-encoding", "expect", "upgrade")


def scan_head(buf: bytes | bytearray, searched: int = 0) -> RpcHead | Verdict:
    """Judge the request at the start of ``buf``.

    ``searched`` is how far an earlier call already looked for the end of
    the head (a request trickling in byte by byte is not rescanned).
    """
    if buf[: len(_PREFIX)] != _PREFIX[: len(buf)]:
        return Verdict.FOREIGN
    found = head_lines(buf, searched, MAX_FAST_LINE, lambda line: _request_line(line) is not None)
    if isinstance(found, Verdict):
        return found
    lines, end = found
    http11 = _request_line(lines[0])
    if http11 is None or len(lines) - 1 > PARSER_MAX_HEADERS:
        return Verdict.FOREIGN
    headers = _fields(lines)
    if headers is None:
        return Verdict.FOREIGN
    return _judge(headers, http11, end + 4)


def head_lines(
    buf: bytes | bytearray, searched: int, max_line: int, line_ok: Callable[[str], bool]
) -> tuple[list[str], int] | Verdict:
    """The lines of a whole head at the start of ``buf`` and the offset of the
    blank line that ends it, or why not yet (or never).

    While the head is incomplete, a request line already there must pass
    ``line_ok``; a head must be valid UTF-8 and within MAX_FAST_HEAD.
    """
    end = buf.find(b"\r\n\r\n", max(0, searched - 3))
    if end < 0:
        if len(buf) > MAX_FAST_HEAD:
            return Verdict.FOREIGN
        line_end = buf.find(b"\r\n", 0, max_line)
        if line_end < 0:
            return Verdict.FOREIGN if len(buf) >= max_line else Verdict.INCOMPLETE
        line = bytes(buf[:line_end]).decode("latin-1")
        return Verdict.INCOMPLETE if line_ok(line) else Verdict.FOREIGN
    if end > MAX_FAST_HEAD:
        return Verdict.FOREIGN
    try:
        return bytes(buf[:end]).decode("utf-8").split("\r\n"), end
    except UnicodeDecodeError:
        return Verdict.FOREIGN


def _request_line(line: str) -> bool | None:
    """True for HTTP/1.1, False for HTTP/1.0, None if not a fast-path request line."""
    parts = line.split(" ")
    if len(parts) != 3 or parts[0] != "POST" or not _TARGET.fullmatch(parts[1]):
        return None
    if parts[2] == "HTTP/1.1":
        return True
    if parts[2] == "HTTP/1.0":
        return False
    return None


def _fields(lines: list[str]) -> dict[str, str] | None:
    """Lower-case name → value, or None if any field is malformed or too big."""
    headers: dict[str, str] = {}
    total = 0
    for line in lines[1:]:
        # Bytes of the line plus 4: at least security.py's name+value+4.
        size = (len(line) if line.isascii() else len(line.encode("utf-8"))) + 4
        total += size
        if size > MAX_HEADER_FIELD_BYTES:
            return None
        match = _FIELD.fullmatch(line)
        if match is None:
            return None
        name = match.group(1).lower()
        if name in headers and name in _DECISIVE:
            return None
        headers[name] = match.group(2).rstrip(" \t")
    return headers if total <= MAX_HEADER_TOTAL_BYTES else None


def _judge(headers: dict[str, str], http11: bool, body_start: int) -> RpcHead | Verdict:
    if any(name in headers for name in _NOT_OURS):
        return Verdict.FOREIGN
    if http11 and "host" not in headers:
        return Verdict.FOREIGN  # aiohttp refuses it (400): never serve what it would not
    length = headers.get("content-length")
    if length is None or not (length.isascii() and length.isdigit()) or len(length) > 9:
        return Verdict.FOREIGN
    content_length = int(length)
    if content_length > MAX_BODY_BYTES:
        return Verdict.FOREIGN
    tokens = {t.strip(" \t").lower() for t in headers.get("connection", "").split(",")}
    if "upgrade" in tokens:
        return Verdict.FOREIGN
    keep_alive = "close" not in tokens if http11 else "keep-alive" in tokens
    content_type = "application/octet-stream"  # aiohttp's default
    raw_type = headers.get("content-type")
    if raw_type is not None:
        content_type = raw_type.split(";", 1)[0].strip(" \t").lower()
        if not _MEDIA_TYPE.fullmatch(content_type):
            return Verdict.FOREIGN
    if cross_site_refusal(headers.get, content_type) is not None:
        return Verdict.FOREIGN
    return RpcHead(
        http11,
        keep_alive,
        body_start,
        content_length,
        headers.get("authorization"),
        headers.get("host"),
    )


# --- answers -----------------------------------------------------------------

_REASONS = {200: "OK", 500: "Internal Server Error"}
_FIXED_HEADERS = f"Server: {SERVER_NAME}\r\n" + "".join(
    f"{name}: {value}\r\n" for name, value in SECURITY_HEADERS.items()
)
_date_second = -1
_date_text = ""


def http_date() -> str:
    """The Date header's value, formatted once per second."""
    global _date_second, _date_text
    now = int(time.time())
    if now != _date_second:
        _date_text = formatdate(now, usegmt=True)
        _date_second = now
    return _date_text


def response(
    status: int, content_type: str, body: bytes, *, http11: bool, keep_alive: bool
) -> bytes:
    """A whole response, in the request's HTTP version, as aiohttp would frame it."""
    if not keep_alive:
        connection = "Connection: close\r\n"
    elif not http11:
        connection = "Connection: keep-alive\r\n"
    else:
        connection = ""
    head = (
        f"HTTP/1.{int(http11)} {status} {_REASONS[status]}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"Date: {http_date()}\r\n"
        f"{_FIXED_HEADERS}{connection}\r\n"
    )
    return head.encode("latin-1") + body
