"""Which GET heads the fast path serves itself (getwire.py), and how it frames answers.

Anything unusual must be FOREIGN, so that aiohttp (the one implementation of
every error status and of URL normalisation) answers it.
"""

from __future__ import annotations

import pytest

from minder.http.getwire import Answer, GetHead, chunk, frame, maybe_get, scan_get, stream_head
from minder.http.wire import Verdict


def head(target: str = "/", *fields: str, version: str = "HTTP/1.1") -> bytes:
    lines = [f"GET {target} {version}", *(fields or ("Host: 127.0.0.1:9001",))]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def test_a_plain_get_is_ours() -> None:
    got = scan_get(head("/tail.html?processname=web%3Aw1&limit=10&limit=20"))
    assert isinstance(got, GetHead)
    assert got.path == "/tail.html"
    assert got.query == {"processname": "web:w1", "limit": "10"}  # the first, as aiohttp's .get
    assert (got.http11, got.keep_alive, got.host) == (True, True, "127.0.0.1")
    got = scan_get(head("/", "Host: [::1]:80", version="HTTP/1.0"))
    assert isinstance(got, GetHead) and got.host == "::1" and not got.keep_alive


def test_a_get_arriving_byte_by_byte_waits() -> None:
    data = head("/metrics")
    for size in range(1, len(data)):
        assert maybe_get(data[:size])
        if size >= 5:
            assert scan_get(data[:size]) is Verdict.INCOMPLETE
    assert not maybe_get(b"POST /RPC2")
    assert not maybe_get(b"HEAD /")


@pytest.mark.parametrize(
    "data",
    [
        head("/static/x/%2e%2e/secret"),  # '%' in the path: decoding is aiohttp's
        head("/static/x/../index.html"),
        head("//evil"),
        head("/", "Host: 127.0.0.1", "Content-Length: 0"),
        head("/", "Host: 127.0.0.1", "Transfer-Encoding: chunked"),
        head("/", "Host: 127.0.0.1", "Connection: upgrade", "Upgrade: websocket"),
        head("/", "Host: 127.0.0.1", "Host: evil.example"),
        head("/", "Host: evil example"),
        head("/", "X-No-Host: 1"),
        head("/", "Host: 127.0.0.1", "Bad\x01: x"),
        head("/a b"),
        head("/?q=\x00"),
        head("/", version="HTTP/2.0"),
        b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n" + b"X-Big: " + b"a" * 9000 + b"\r\n\r\n",
        b"GET /\xff HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
    ],
)
def test_anything_unusual_is_foreign(data: bytes) -> None:
    assert scan_get(data) is Verdict.FOREIGN


def test_answers_carry_the_hardening_headers() -> None:
    page = Answer(
        200,
        "text/html; charset=utf-8",
        b"<p>",
        (("Content-Security-Policy", "default-src 'self'"),),
    )
    text = frame(page, http11=True, keep_alive=False).decode()
    assert text.startswith("HTTP/1.1 200 OK\r\n")
    assert "Content-Length: 3\r\n" in text and text.endswith("\r\n\r\n<p>")
    assert "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'\r\n" in text
    assert "X-Frame-Options: DENY\r\n" in text and "X-Content-Type-Options: nosniff\r\n" in text
    assert "Server: minder\r\n" in text and "Connection: close\r\n" in text
    plain = frame(Answer(304, "", b""), http11=False, keep_alive=True).decode()
    assert plain.startswith("HTTP/1.0 304 Not Modified\r\n") and "Connection: keep-alive" in plain
    assert "\r\nContent-Type:" not in plain
    assert "Content-Security-Policy: frame-ancestors 'none'\r\n" in plain


def test_streams_are_chunked_on_http11_and_closed_on_http10() -> None:
    events = Answer(200, "text/event-stream; charset=utf-8", b"")
    assert "Transfer-Encoding: chunked" in stream_head(events, http11=True).decode()
    old = stream_head(events, http11=False).decode()
    assert "Connection: close" in old and "Content-Length" not in old
    assert chunk(b"data: x\n\n", http11=True) == b"9\r\ndata: x\n\n\r\n"
    assert chunk(b"", http11=True) == b"0\r\n\r\n"
    assert chunk(b"abc", http11=False) == b"abc"
