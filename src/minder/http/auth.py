"""HTTP Basic authentication with supervisord's rules, hardened.

* Credentials are checked only when the server has a username, exactly
  like supervisord, by ``credentials.Credentials`` (constant-time; shared
  with the XML-RPC fast path, which hands every attempt it may not serve at
  once over to this middleware).
* How fast a client may try passwords is logins.py's to decide: every
  attempt, right or wrong, waits there for its client's turn; once it
  comes, the attempt is answered at once (200 or 401). An attempt that
  cannot even wait (too many waiting) is a 429 and is not checked. A
  request without credentials is not an attempt: it gets its 401 at once.
"""

from __future__ import annotations

import math

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from minder.http.credentials import Credentials
from minder.http.logins import LoginGate, TooManyAttempts, peer_key_of

__all__ = [
    "Credentials",
    "LoginGate",
    "basic_auth_middleware",
    "peer_key",
    "unauthorized",
]


def peer_key(request: web.Request) -> str:
    """The client's IP, or on a unix socket the connecting uid."""
    transport = request.transport
    if transport is None:
        return "unknown"
    return peer_key_of(transport.get_extra_info("socket"), transport.get_extra_info("peername"))


def unauthorized() -> web.HTTPUnauthorized:
    error = web.HTTPUnauthorized(
        text="401 Unauthorized\n", headers={"WWW-Authenticate": 'Basic realm="default"'}
    )
    error.force_close()
    return error


def _too_many(retry_after: float) -> web.HTTPTooManyRequests:
    error = web.HTTPTooManyRequests(
        text="429 Too many login attempts from this client; try again later\n",
        headers={"Retry-After": str(math.ceil(retry_after))},
    )
    error.force_close()
    return error


def basic_auth_middleware(
    credentials: Credentials, gate: LoginGate, public: frozenset[str] = frozenset()
) -> Middleware:
    """``public``: exact paths served without credentials, for GET and HEAD only."""

    @web.middleware
    async def require_basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in public and request.method in ("GET", "HEAD"):
            return await handler(request)
        verdict = credentials.check(request.headers.get("Authorization"))
        if verdict is None:
            raise unauthorized()

        def gone() -> bool:
            transport = request.transport
            return transport is None or transport.is_closing()

        try:
            answered = await gate.wait_turn(peer_key(request), verdict, gone)
        except TooManyAttempts as busy:
            raise _too_many(busy.retry_after) from None
        if not answered:  # the client left, or the daemon is stopping
            raise web.HTTPServiceUnavailable(text="503 Service Unavailable\n")
        if verdict:
            return await handler(request)
        raise unauthorized()

    return require_basic_auth
