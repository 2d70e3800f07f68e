"""The fast path's request-head judge and response framing (minder.http.wire).

What matters is the split: the plainest XML-RPC POST is served, anything
unusual is FOREIGN (handed to aiohttp), and a head that is merely not
complete yet is INCOMPLETE whichever byte it stops at.
"""

from __future__ import annotations

import pytest

from minder.http.hygiene import MAX_BODY_BYTES, MAX_HEADER_FIELD_BYTES, SECURITY_HEADERS
from minder.http.wire import (
    MAX_FAST_HEAD,
    MAX_FAST_LINE,
    RpcHead,
    Verdict,
    response,
    scan_head,
)

BODY = b"<?xml version='1.0'?><methodCall><methodName>supervisor.getPID</methodName></methodCall>"


def request(
    *headers: str, line: str = "POST /RPC2 HTTP/1.1", body: bytes = BODY, host: bool = True
) -> bytes:
    """A request with these headers (and a Host, which HTTP/1.1 requires, unless one is given)."""
    if host and not any(h.lower().startswith("host:") for h in headers):
        headers = ("Host: localhost", *headers)
    fields = "".join(f"{h}\r\n" for h in headers)
    return f"{line}\r\n{fields}\r\n".encode() + body


def test_http11_without_host_is_aiohttps_to_refuse() -> None:
    """aiohttp answers 400 to it; the fast path must not serve what aiohttp refuses."""
    bare = request(f"Content-Length: {len(BODY)}", host=False)
    assert scan_head(bare) is Verdict.FOREIGN
    http10 = request(f"Content-Length: {len(BODY)}", line="POST /RPC2 HTTP/1.0", host=False)
    assert isinstance(scan_head(http10), RpcHead)


PLAIN = request("Host: localhost", "Content-Type: text/xml", f"Content-Length: {len(BODY)}")


def test_a_plain_call_is_served_with_its_framing() -> None:
    head = scan_head(PLAIN)
    assert isinstance(head, RpcHead)
    assert head.http11 and head.keep_alive
    assert PLAIN[head.body_start : head.body_start + head.content_length] == BODY
    assert head.authorization is None


def test_every_prefix_of_a_plain_call_is_incomplete() -> None:
    head_end = PLAIN.index(b"\r\n\r\n") + 4
    for cut in range(head_end):
        assert scan_head(PLAIN[:cut]) is Verdict.INCOMPLETE, cut
    assert isinstance(scan_head(PLAIN[:head_end]), RpcHead)


def test_resuming_the_search_finds_a_head_end_split_across_reads() -> None:
    head_end = PLAIN.index(b"\r\n\r\n") + 4
    searched = 0
    for cut in range(1, head_end + 1):
        verdict = scan_head(PLAIN[:cut], searched)
        if cut < head_end:
            assert verdict is Verdict.INCOMPLETE
            searched = cut
    assert isinstance(verdict, RpcHead)


@pytest.mark.parametrize(
    ("version", "connection", "keep_alive"),
    [
        ("HTTP/1.1", None, True),
        ("HTTP/1.1", "close", False),
        ("HTTP/1.1", "Keep-Alive, Close", False),
        ("HTTP/1.0", None, False),
        ("HTTP/1.0", "keep-alive", True),
        ("HTTP/1.0", "Keep-Alive", True),
    ],
)
def test_keep_alive_follows_the_version_and_connection_header(
    version: str, connection: str | None, keep_alive: bool
) -> None:
    headers = [f"Content-Length: {len(BODY)}"]
    if connection is not None:
        headers.append(f"Connection: {connection}")
    head = scan_head(request(*headers, line=f"POST /RPC2 {version}"))
    assert isinstance(head, RpcHead)
    assert head.http11 is (version == "HTTP/1.1")
    assert head.keep_alive is keep_alive


@pytest.mark.parametrize(
    "line",
    [
        "GET /RPC2 HTTP/1.1",
        "post /RPC2 HTTP/1.1",
        "POST /RPC2 HTTP/2.0",
        "POST /RPC2 HTTP/1.1 x",
        "POST  /RPC2 HTTP/1.1",
        "POST /rpc2 HTTP/1.1",
        "POST /RPC2?x=1 HTTP/1.1",
        "POST /RPC2/../logtail/a HTTP/1.1",
        "POST /RPC2%00 HTTP/1.1",
        "POST http://localhost/RPC2 HTTP/1.1",
        "POST /RPC3 HTTP/1.1",
    ],
)
def test_other_request_lines_are_foreign(line: str) -> None:
    data = request(f"Content-Length: {len(BODY)}", line=line)
    assert scan_head(data) is Verdict.FOREIGN
    # ... and known to be as soon as the line is complete, when it can be.
    first_line = data[: data.index(b"\r\n") + 2]
    assert scan_head(first_line) in (Verdict.FOREIGN, Verdict.INCOMPLETE)


def test_foreign_is_known_from_the_first_bytes() -> None:
    assert scan_head(b"GET") is Verdict.FOREIGN
    assert scan_head(b"\r\nPOST /RPC2") is Verdict.FOREIGN
    assert scan_head(b"POST /RPC2/a HTTP/1.1\r\n") is Verdict.INCOMPLETE
    assert scan_head(b"POST /RPC2 HTTP/1.1\r\n") is Verdict.INCOMPLETE
    assert scan_head(b"POST /RPC2 HTTP/9.9\r\n") is Verdict.FOREIGN
    assert scan_head(b"POST /RPC2" + b"x" * MAX_FAST_LINE) is Verdict.FOREIGN


@pytest.mark.parametrize(
    "headers",
    [
        [],  # no Content-Length: aiohttp reads an empty body and answers 400
        ["Content-Length: -1"],
        ["Content-Length: 1e3"],
        ["Content-Length: 12", "Content-Length: 12"],
        [f"Content-Length: {MAX_BODY_BYTES + 1}"],
        ["Transfer-Encoding: chunked"],
        ["Content-Length: 10", "Transfer-Encoding: chunked"],
        ["Content-Length: 10", "Expect: 100-continue"],
        ["Content-Length: 10", "Upgrade: websocket", "Connection: Upgrade"],
        ["Content-Length: 10", "Content-Type: text/plain"],
        ["Content-Length: 10", "Content-Type: Multipart/Form-Data; boundary=x"],
        ["Content-Length: 10", "Content-Type: text/xml, text/plain"],
        ["Content-Length: 10", "Sec-Fetch-Site: cross-site"],
        ["Content-Length: 10", "Host: localhost", "Origin: http://evil.example"],
        ["Content-Length: 10", "Origin: null"],
        ["Content-Length: 10", "Host: a", "Host: b"],
        ["Content-Length: 10", "Bad Name: x"],
        ["Content-Length: 10", "X-Nul: a\x00b"],
        ["Content-Length: 10", "X-Cr: a\rb"],
        ["Content-Length: 10", " folded: continuation"],
        ["Content-Length: 10", "X-Big: " + "a" * MAX_HEADER_FIELD_BYTES],
        ["Content-Length: 10", *[f"X-{i}: {'a' * 4000}" for i in range(9)]],
        ["Content-Length: 10", *[f"X-{i}: a" for i in range(200)]],
    ],
)
def test_unusual_heads_are_foreign(headers: list[str]) -> None:
    assert scan_head(request(*headers)) is Verdict.FOREIGN


def test_invalid_utf8_and_bare_lf_are_foreign() -> None:
    good = request("Content-Length: 10")
    assert scan_head(good.replace(b"Content-Length: 10", b"X: \xff\r\nContent-Length: 10")) is (
        Verdict.FOREIGN
    )
    assert scan_head(good.replace(b"\r\nContent", b"\nX: y\r\nContent")) is Verdict.FOREIGN


@pytest.mark.parametrize(
    "headers",
    [
        ["Content-Length: 10", "Content-Type: text/xml; charset=utf-8"],
        ["Content-Length: 10", "Content-Type: application/xml"],
        ["Content-Length: 10", "Sec-Fetch-Site: same-origin"],
        ["Content-Length: 10", "Host: localhost:9001", "Origin: http://localhost:9001"],
        ["Content-Length: 10", "Host: x", "X-Forwarded-Host: a, b", "Origin: https://b"],
        ["Content-Length:10", "User-Agent: xmlrpc.client (Python 3.11)", "X-Utf8: é"],
        ["content-length: 10", "Accept-Encoding: gzip", "Accept-Encoding: gzip"],
    ],
)
def test_ordinary_client_heads_are_served(headers: list[str]) -> None:
    assert isinstance(scan_head(request(*headers)), RpcHead)


def test_the_authorization_header_is_passed_on() -> None:
    head = scan_head(request("Content-Length: 1", "Authorization:  Basic YTpi  "))
    assert isinstance(head, RpcHead)
    assert head.authorization == "Basic YTpi"


def test_an_endless_head_is_foreign_once_it_is_too_long() -> None:
    data = b"POST /RPC2 HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_FAST_HEAD // 6 + 1)
    assert scan_head(data) is Verdict.FOREIGN


def test_a_response_carries_the_framing_and_security_headers() -> None:
    raw = response(200, "text/xml", b"<x/>", http11=True, keep_alive=True)
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode().split("\r\n")
    assert lines[0] == "HTTP/1.1 200 OK"
    fields = dict(line.split(": ", 1) for line in lines[1:])
    assert fields["Content-Type"] == "text/xml"
    assert fields["Content-Length"] == "4"
    assert fields["Server"] == "minder"
    assert fields["Date"].endswith(" GMT")
    assert "Connection" not in fields
    for name, value in SECURITY_HEADERS.items():
        assert fields[name] == value
    assert body == b"<x/>"


def test_connection_header_says_what_happens_next() -> None:
    closing = response(500, "text/plain; charset=utf-8", b"x", http11=True, keep_alive=False)
    assert closing.startswith(b"HTTP/1.1 500 Internal Server Error\r\n")
    assert b"\r\nConnection: close\r\n" in closing
    old = response(200, "text/xml", b"x", http11=False, keep_alive=True)
    assert old.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"\r\nConnection: keep-alive\r\n" in old
