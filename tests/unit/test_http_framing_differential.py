"""The fast path and aiohttp's parser never disagree on framing or authorisation.

One connection is read by two parsers: the fast path (http/wire.py,
http/getwire.py) serves the plainest requests and hands everything else,
unanswered bytes included, to aiohttp. If the two ever split a byte stream
differently (where a request's head or body ends), a client could hide a
second request inside the first: request smuggling. If they read a
different Authorization header, the password checked would not be the one
the request carries.

So for random and malformed heads and bodies: whenever the fast path
decides to serve a request itself, aiohttp's parser (the C one the server
uses, and the pure-Python one) must read the same request from the same
bytes: same method, target and version, the same Authorization, the same
keep-alive, the same body, and it must end at the same byte. Whatever the
fast path hands over, aiohttp alone reads, so there is nothing to compare.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp.base_protocol import BaseProtocol
from aiohttp.http_parser import HttpRequestParser, HttpRequestParserPy
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from minder.http.getwire import GetHead, maybe_get, scan_get
from minder.http.hygiene import PARSER_MAX_HEADERS, PARSER_MAX_LINE
from minder.http.wire import RpcHead, scan_head

PARSERS = [HttpRequestParser, HttpRequestParserPy]

REQUEST_LINES = [
    "POST /RPC2 HTTP/1.1",
    "POST /RPC2 HTTP/1.0",
    "POST /RPC2/sub HTTP/1.1",
    "POST /RPC2?x=1 HTTP/1.1",
    "POST /RPC2%2e HTTP/1.1",
    "POST  /RPC2 HTTP/1.1",
    "POST /RPC2 HTTP/1.1 ",
    "POST /RPC2  HTTP/1.1",
    "post /RPC2 HTTP/1.1",
    "POST http://localhost/RPC2 HTTP/1.1",
    "POST /RPC2 HTTP/1.2",
    "POST /RPC2 HTTP/2.0",
    "POST /RPC2\tHTTP/1.1",
    "GET / HTTP/1.1",
    "GET /index.html HTTP/1.0",
    "GET /tail.html?processname=a&limit=10 HTTP/1.1",
    "GET /metrics HTTP/1.1",
    "GET /./metrics HTTP/1.1",
    "GET //metrics HTTP/1.1",
    "GET /static/app.css HTTP/1.1",
    "GET /api/v1/processes HTTP/1.1",
    "GET /%2e%2e/etc HTTP/1.1",
    "GET /RPC2 HTTP/1.1",
]
NAMES = [
    "Host",
    "host",
    "Content-Length",
    "content-length",
    "CONTENT-LENGTH",
    "Content-Type",
    "Authorization",
    "authorization",
    "Transfer-Encoding",
    "Connection",
    "Expect",
    "Upgrade",
    "Origin",
    "Sec-Fetch-Site",
    "X-Forwarded-Host",
    "User-Agent",
    "Accept-Encoding",
    "X-Junk",
    "Content-Length ",
    " Content-Length",
    "Content Length",
    "Content-Length\t",
    "Authorization ",
]
VALUES = [
    "localhost",
    "127.0.0.1:9001",
    "text/xml",
    "application/json",
    "text/plain",
    "Basic dXNlcjpwYXNz",
    "Basic Zm9vOmJhcg==",
    "chunked",
    "gzip, chunked",
    "identity",
    "close",
    "keep-alive",
    "Upgrade",
    "100-continue",
    "websocket",
    "null",
    "cross-site",
    "same-origin",
    "http://evil.example",
    "",
    " ",
    "a\x00b",
    "é",
    "\x7f",
]
LENGTHS = [
    "+{n}",
    " {n}",
    "{n} ",
    "0{n}",
    "{n},{n}",
    "0x{n}",
    "-{n}",
    "{n}\x00",
    "{n}.0",
    "99999999999",
]
SEPARATORS = [": ", ":", " : ", ":\t", ":  "]
ENDINGS = ["\r\n", "\r\n", "\r\n", "\r\n", "\n", "\r", "\r\r\n"]


@st.composite
def requests(draw: st.DrawFn) -> bytes:
    """A request that is usually almost right, often subtly wrong."""
    body = draw(st.binary(max_size=40))
    line = draw(st.sampled_from(REQUEST_LINES))
    headers: list[tuple[str, str]] = []
    if draw(st.booleans()):
        headers.append(("Host", "localhost"))
    if line.startswith("POST") or draw(st.booleans()):
        length = str(len(body))
        if draw(st.integers(0, 4)) == 0:
            length = draw(st.sampled_from(LENGTHS)).format(n=len(body))
        elif draw(st.integers(0, 6)) == 0:
            length = str(draw(st.integers(0, 60)))
        headers.append(("Content-Length", length))
    if draw(st.booleans()):
        headers.append(("Content-Type", "text/xml"))
    if draw(st.booleans()):
        headers.append(("Authorization", draw(st.sampled_from(VALUES[5:7]))))
    extra = st.tuples(
        st.sampled_from(NAMES),
        st.one_of(st.sampled_from(VALUES), st.text(max_size=12)),
    )
    for _ in range(draw(st.integers(0, 3))):
        position = draw(st.integers(0, len(headers)))
        headers.insert(position, draw(extra))
    text = line + draw(st.sampled_from(ENDINGS))
    for name, value in headers:
        separator = draw(st.sampled_from(SEPARATORS)) if draw(st.integers(0, 5)) == 0 else ": "
        ending = draw(st.sampled_from(ENDINGS)) if draw(st.integers(0, 8)) == 0 else "\r\n"
        if draw(st.integers(0, 12)) == 0:
            ending += " folded"  # an obsolete line folding
        text += f"{name}{separator}{value}{ending}"
    raw = text.encode("utf-8", "surrogatepass") + b"\r\n" + body
    for _ in range(draw(st.integers(0, 2)) if draw(st.integers(0, 3)) == 0 else 0):
        at = draw(st.integers(0, len(raw)))
        byte = draw(st.sampled_from([b"\r", b"\n", b" ", b"\x00", b":", b"\t", b"\xff"]))
        raw = raw[:at] + byte + raw[at + draw(st.integers(0, 1)) :]
    return raw


# What a client sends after the request: the start of a second one.
FOLLOWER = b"GET /second HTTP/1.1\r\nHost: localhost\r\n\r\n"


class Reader:
    """aiohttp's request parser on one connection, as its server sets it up."""

    def __init__(self, parser_type: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.parser = parser_type(
            BaseProtocol(self.loop),
            self.loop,
            2**16,
            max_line_size=PARSER_MAX_LINE,
            max_field_size=PARSER_MAX_LINE,
            max_headers=PARSER_MAX_HEADERS,
        )

    def feed(self, data: bytes) -> list[tuple[Any, bytes, bool]]:
        """The messages these bytes complete or start: (head, body so far, body complete)."""
        messages, _upgraded, _tail = self.parser.feed_data(data)
        return [(m, p.read_nowait(-1), p.is_eof()) for m, p in messages]

    def close(self) -> None:
        self.loop.close()


def complete_messages(parser_type: Any, data: bytes) -> int:
    reader = Reader(parser_type)
    try:
        return sum(1 for _, _, eof in reader.feed(data) if eof)
    except Exception:
        return 0
    finally:
        reader.close()


def fast_path_verdicts(raw: bytes) -> Iterator[tuple[str, RpcHead | GetHead, int]]:
    """What the fast path would serve from ``raw``: (method, head, end of the request)."""
    post = scan_head(raw)
    if isinstance(post, RpcHead):
        yield "POST", post, post.body_start + post.content_length
    if maybe_get(raw):
        get = scan_get(raw)
        if isinstance(get, GetHead):
            yield "GET", get, get.end


def request_target(raw: bytes) -> str:
    return raw.split(b"\r\n", 1)[0].split(b" ")[1].decode()


@settings(
    max_examples=800,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(requests())
@example(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\nAuthorization: Basic eDp5\r\n\r\nabc")
@example(
    b"POST /RPC2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nAuthorization: Basic eDp5\r\n\r\nabc"
)
@example(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd")
@example(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\nabc")
@example(b"POST /RPC2 HTTP/1.1\r\nHost: h\r\nAuthorization: a\r\nAuthorization: b\r\n\r\n")
@example(b"POST /RPC2 HTTP/1.1\r\nContent-Length : 3\r\n\r\nabc")
@example(b"POST /RPC2 HTTP/1.1\r\nHost: localhost\r\nContent-Length: 42\r\n\r\n")
@example(b"POST /RPC2 HTTP/1.1\r\nContent-Length: 3\r\n folded\r\n\r\nabc")
@example(b"GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello")
@example(b"GET / HTTP/1.1\r\nHost: localhost\r\nUser-Agent: a\r\nUser-Agent: b\r\n\r\n")
@example(b"GET / HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n")
def test_what_the_fast_path_serves_aiohttp_reads_the_same_way(raw: bytes) -> None:
    data = raw + FOLLOWER  # a client's stream: this request, then the next
    for method, head, end in fast_path_verdicts(data):
        if end > len(data):
            continue  # the fast path waits for the rest of the body, as aiohttp does
        for parser_type in PARSERS:
            check_same_reading(parser_type, data, method, head, end)


def check_same_reading(
    parser_type: Any, data: bytes, method: str, head: RpcHead | GetHead, end: int
) -> None:
    name = parser_type.__name__
    reader = Reader(parser_type)
    try:
        try:
            read = reader.feed(data[:end])
        except Exception as exc:
            pytest.fail(f"{name} refuses a request the fast path serves: {exc!r}")
        # the same framing: exactly one whole request in data[:end], none in less
        assert len(read) == 1, f"{name} reads {len(read)} requests where the fast path reads 1"
        message, body, body_done = read[0]
        assert body_done, f"{name}: the request goes on past where the fast path ends it"
        assert complete_messages(parser_type, data[: end - 1]) == 0, f"{name}: ends sooner"
        assert message.method == method
        assert message.path == request_target(data)
        http11 = head.http11
        assert (message.version.major, message.version.minor) == ((1, 1) if http11 else (1, 0))
        assert not message.chunked and not message.upgrade
        assert message.should_close is not head.keep_alive
        if isinstance(head, RpcHead):
            assert body == data[head.body_start : end]
            authorization = head.authorization
        else:
            assert body == b""
            authorization = head.headers.get("authorization")
        # the same Authorization: the one the password is checked against
        assert message.headers.get("Authorization") == authorization
        assert len(message.headers.getall("Authorization", [])) <= 1
        if head.keep_alive:  # aiohttp is at a request boundary too: the next one parses
            following = reader.feed(FOLLOWER)
            assert [m.path for m, _, _ in following] == ["/second"], f"{name}: next request"
    finally:
        reader.close()


def test_every_header_aiohttp_refuses_to_see_twice_is_one_the_fast_path_refuses_too() -> None:
    from aiohttp import http_parser

    from minder.http.wire import _DECISIVE

    singletons: frozenset[str] = getattr(http_parser, "SINGLETON_HEADERS", frozenset())
    assert set(singletons) <= _DECISIVE, sorted(set(singletons) - _DECISIVE)
