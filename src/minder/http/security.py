"""Request hygiene and response hardening applied to every route.

* Every response (ours, the web UI's, errors, streams) gets headers that
  forbid framing and MIME sniffing, via ``on_response_prepare``.
* Requests with oversized bodies or headers get a clear 413 / 431 before
  any handler runs; aiohttp's own parser limits are set above ours (see
  ``PARSER_MAX_LINE``) so the client sees our status, not a generic 400.
* A NUL byte or invalid UTF-8 in the path, query or a header value is a
  400: nothing downstream has to wonder what such a name means.
* On a server without credentials, a TCP request for a ``Host`` that is not
  ours is a 403 on every route (DNS rebinding; the rule is hostcheck.py's).

The limits themselves live in hygiene.py, which needs no aiohttp.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from minder.http.hostcheck import host_allowed
from minder.http.hygiene import (
    MAX_BODY_BYTES,
    MAX_HEADER_FIELD_BYTES,
    MAX_HEADER_TOTAL_BYTES,
    PARSER_MAX_HEADERS,
    PARSER_MAX_LINE,
    SECURITY_HEADERS,
    SERVER_NAME,
    is_clean_url,
)

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_HEADER_FIELD_BYTES",
    "MAX_HEADER_TOTAL_BYTES",
    "PARSER_MAX_HEADERS",
    "PARSER_MAX_LINE",
    "SECURITY_HEADERS",
    "SERVER_NAME",
    "add_security_headers",
    "host_guard",
    "is_clean_url",
    "request_hygiene",
]


async def add_security_headers(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER_NAME  # not aiohttp's exact version
    for name, value in SECURITY_HEADERS.items():
        if name == "Content-Security-Policy" and name in response.headers:
            if "frame-ancestors" not in response.headers[name]:
                response.headers[name] += "; frame-ancestors 'none'"
            continue
        response.headers[name] = value


def _too_big_headers(request: web.Request) -> bool:
    total = 0
    for name, value in request.raw_headers:
        size = len(name) + len(value) + 4
        if size > MAX_HEADER_FIELD_BYTES:
            return True
        total += size
    return total > MAX_HEADER_TOTAL_BYTES


@web.middleware
async def request_hygiene(request: web.Request, handler: Handler) -> web.StreamResponse:
    if _too_big_headers(request):
        raise web.HTTPRequestHeaderFieldsTooLarge(
            text=f"Request headers too large (at most {MAX_HEADER_FIELD_BYTES} bytes "
            f"per header and {MAX_HEADER_TOTAL_BYTES} in all)\n"
        )
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        raise web.HTTPRequestEntityTooLarge(
            max_size=MAX_BODY_BYTES, actual_size=request.content_length
        )
    if not is_clean_url(request.raw_path):
        raise web.HTTPBadRequest(text="NUL byte or invalid UTF-8 in the request URL\n")
    for name, value in request.raw_headers:
        if b"\x00" in name or b"\x00" in value:
            raise web.HTTPBadRequest(text="NUL byte in a request header\n")
        try:
            value.decode("utf-8")
        except UnicodeDecodeError:
            raise web.HTTPBadRequest(text="invalid UTF-8 in a request header\n") from None
    return await handler(request)


def host_guard(names: frozenset[str]) -> Middleware:
    """403 for a TCP request whose Host is not one of ours (a credential-less server)."""

    @web.middleware
    async def check_host(request: web.Request, handler: Handler) -> web.StreamResponse:
        transport = request.transport
        peer = transport.get_extra_info("peername") if transport is not None else None
        host = request.headers.get("Host")
        if not isinstance(peer, tuple) or host_allowed(host, names):
            return await handler(request)
        message = (
            f"refusing a request for host {host!r}: this server has no credentials, so it "
            "answers only its IP address, localhost or its own host name (DNS rebinding "
            "protection); use one of those, or configure a username and password"
        )
        if request.path.startswith("/api/"):
            return web.json_response(
                {"code": 403, "name": "HOST_REFUSED", "message": message},
                status=403,
                headers={"Cache-Control": "no-store"},
            )
        raise web.HTTPForbidden(text=message + "\n")

    return check_host
