"""HTTP Basic authentication with supervisord's rules, hardened.

* Credentials are checked only when the server has a username, exactly
  like supervisord, by ``credentials.Credentials`` (constant-time; shared
  with the XML-RPC fast path, which hands every failure over to this
  middleware so that the throttle below sees it).
* Wrong passwords are slowed down per client: each failure from a peer
  (an IP address; a uid on a unix socket) doubles the delay before its
  401, up to ``MAX_DELAY``, and that peer's failures are answered one at a
  time, so parallel guessing gains nothing. The right password is never
  delayed, so an attacker cannot lock the owner out.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

from aiohttp import web
from aiohttp.typedefs import Handler, Middleware

from minder.http.credentials import Credentials

__all__ = [
    "BASE_DELAY",
    "FORGET_AFTER",
    "MAX_DELAY",
    "MAX_TRACKED_PEERS",
    "Credentials",
    "FailureThrottle",
    "basic_auth_middleware",
    "failure_delay",
    "peer_key",
    "unauthorized",
]

BASE_DELAY = 0.1
MAX_DELAY = 5.0
FORGET_AFTER = 300.0
MAX_TRACKED_PEERS = 4096


def failure_delay(failures: int) -> float:
    """Seconds to hold the n-th consecutive wrong answer to one peer."""
    if failures <= 0:
        return 0.0
    return float(min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - 1, 32)))


@dataclass
class _Peer:
    failures: int = 0
    last: float = 0.0
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class FailureThrottle:
    """Per-peer exponential delay of failed logins, with bounded memory."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._peers: OrderedDict[str, _Peer] = OrderedDict()
        self._clock = clock

    def record_failure(self, key: str) -> tuple[float, asyncio.Lock]:
        now = self._clock()
        peer = self._peers.pop(key, None) or _Peer()
        if now - peer.last > FORGET_AFTER:
            peer.failures = 0
        peer.failures += 1
        peer.last = now
        self._peers[key] = peer
        while len(self._peers) > MAX_TRACKED_PEERS:
            self._peers.popitem(last=False)
        return failure_delay(peer.failures), peer.lock

    async def penalise(self, key: str) -> None:
        delay, lock = self.record_failure(key)
        async with lock:
            await asyncio.sleep(delay)


def peer_key(request: web.Request) -> str:
    """The client's IP, or on a unix socket the connecting uid."""
    transport = request.transport
    sock = transport.get_extra_info("socket") if transport is not None else None
    if sock is not None and sock.family == socket.AF_UNIX:
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
            return f"uid:{uid}"
        except OSError:
            return "unix"
    return f"ip:{request.remote}"


def unauthorized() -> web.HTTPUnauthorized:
    error = web.HTTPUnauthorized(
        text="401 Unauthorized\n", headers={"WWW-Authenticate": 'Basic realm="default"'}
    )
    error.force_close()
    return error


def basic_auth_middleware(
    credentials: Credentials, throttle: FailureThrottle, public: frozenset[str] = frozenset()
) -> Middleware:
    """``public``: exact paths served without credentials, for GET and HEAD only."""

    @web.middleware
    async def require_basic_auth(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path in public and request.method in ("GET", "HEAD"):
            return await handler(request)
        verdict = credentials.check(request.headers.get("Authorization"))
        if verdict:
            return await handler(request)
        if verdict is False:
            await throttle.penalise(peer_key(request))
        raise unauthorized()

    return require_basic_auth
