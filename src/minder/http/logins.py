"""How fast a password may be tried: per client, and by all clients together.

Why it is built this way (issue 18, items 1 and 2): delaying only the
*wrong* answers slowed nobody down, since a guesser need not wait for them
(3,000 guesses in 4.7 s, the right one answered at once), and every delayed
401 held a handler that outlived its client (320 MB in 15 s). So here:

* **Attempts wait, not answers.** An attempt (a request that carries
  credentials) from a client is checked only when that client's turn has
  come: at once for a client with no recent failures, otherwise after a
  delay that doubles with each failure (0.1 s up to ``MAX_DELAY``). The
  right password waits its turn like a wrong one, and one client's
  attempts are taken one at a time, so opening more connections gains
  nothing. Once checked, an attempt is answered at once, right or wrong.
* **All clients together** get ``GLOBAL_RATE`` checks a second (with a
  burst of ``GLOBAL_BURST``), taken in arrival order, so many addresses
  do not multiply the rate. A client whose last checked attempt was right
  (``trusted``) is exempt: a guesser, however many addresses it uses,
  cannot lock out a client that has logged in, and it cannot touch another
  client's own delay either.
* **Bounded memory.** At most ``PENDING_PER_CLIENT`` attempts of one client
  and ``PENDING_TOTAL`` in all may wait; more gets an immediate 429 with
  nothing checked. A waiting attempt whose client hangs up is dropped
  within ``POLL`` seconds, and ``close()`` (the daemon stopping) releases
  every waiter at once.

A client is an IP address, or on a unix socket the connecting uid. No
aiohttp here: the XML-RPC fast path (fastpath.py) asks ``try_now`` before
it serves an authorised call itself; the aiohttp middleware (auth.py)
awaits ``wait_turn`` for everything else.
"""

from __future__ import annotations

import asyncio
import socket
import struct
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import field

from minder.records import mutable_record

BASE_DELAY = 0.1
MAX_DELAY = 5.0
FORGET_AFTER = 300.0
MAX_TRACKED_PEERS = 4096
PENDING_PER_CLIENT = 4
PENDING_TOTAL = 256
GLOBAL_RATE = 10.0
GLOBAL_BURST = 20.0
POLL = 0.2


class TooManyAttempts(Exception):
    """Refused unchecked: too many attempts waiting. ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(retry_after)
        self.retry_after = retry_after


def failure_delay(failures: int) -> float:
    """Seconds before the attempt after the n-th consecutive failure is checked."""
    if failures <= 0:
        return 0.0
    return float(min(MAX_DELAY, BASE_DELAY * 2 ** min(failures - 1, 32)))


@mutable_record
class _Client:
    failures: int = 0
    last: float = 0.0  # last checked attempt
    next_at: float = 0.0  # no attempt is checked before this
    trusted: bool = False  # the last checked attempt was right
    pending: int = 0
    turn: asyncio.Lock = field(default_factory=asyncio.Lock)


class LoginGate:
    """Every client's login state, shared by all the daemon's HTTP servers."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._clients: OrderedDict[str, _Client] = OrderedDict()
        self._pending = 0
        self._tokens = GLOBAL_BURST
        self._refilled = clock()
        self._global_turn: asyncio.Lock | None = None  # made on the loop, when first needed
        self._global_waiting = 0
        self.closed = False

    # --- state ------------------------------------------------------------

    def _client(self, key: str, now: float) -> _Client:
        client = self._clients.pop(key, None)
        if client is None or (client.pending == 0 and now - client.last > FORGET_AFTER):
            client = _Client()
        self._clients[key] = client
        if len(self._clients) > MAX_TRACKED_PEERS:
            self._forget_one()
        return client

    def _forget_one(self) -> None:
        """Drop the least recently seen idle client, preferring untrusted ones."""
        victim = None
        for key, client in self._clients.items():
            if client.pending:
                continue
            if not client.trusted:
                victim = key
                break
            victim = victim or key
        if victim is not None:
            del self._clients[victim]

    def _take_token(self, now: float) -> bool:
        self._tokens = min(GLOBAL_BURST, self._tokens + (now - self._refilled) * GLOBAL_RATE)
        self._refilled = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False

    def _record(self, client: _Client, ok: bool, now: float) -> None:
        client.last = now
        client.trusted = ok
        if ok:
            client.failures = 0
            client.next_at = now
        else:
            client.failures += 1
            client.next_at = now + failure_delay(client.failures)

    # --- the two ways in --------------------------------------------------

    def try_now(self, key: str) -> bool:
        """For an attempt with the right password: True if it may be served at
        once (and it is recorded), False if it must wait its turn."""
        now = self._clock()
        client = self._client(key, now)
        if client.pending or now < client.next_at:
            return False
        # Not ahead of attempts already waiting for a token: a right password
        # must not overtake wrong ones (that would tell which is right).
        if not client.trusted and (self._global_waiting or not self._take_token(now)):
            return False
        self._record(client, True, now)
        return True

    async def wait_turn(self, key: str, ok: bool, gone: Callable[[], bool]) -> bool:
        """Wait until this client's attempt may be checked, then record whether it
        was right. False if the client went away (or the daemon is stopping)
        first: nothing is recorded and nothing should be answered.
        Raises TooManyAttempts, at once, when too many attempts wait already."""
        now = self._clock()
        client = self._client(key, now)
        if not client.pending and now >= client.next_at and client.trusted:
            self._record(client, ok, now)
            return True
        if client.pending >= PENDING_PER_CLIENT or self._pending >= PENDING_TOTAL:
            raise TooManyAttempts(max(1.0, client.next_at - now))
        client.pending += 1
        self._pending += 1
        try:
            async with client.turn:
                if not await self._sleep_until(lambda: client.next_at, gone):
                    return False
                if not client.trusted and not await self._global_token(gone):
                    return False
                self._record(client, ok, self._clock())
                return True
        finally:
            client.pending -= 1
            self._pending -= 1

    async def _sleep_until(self, due: Callable[[], float], gone: Callable[[], bool]) -> bool:
        while True:
            if self.closed or gone():
                return False
            left = due() - self._clock()
            if left <= 0:
                return True
            await asyncio.sleep(min(POLL, left))

    async def _global_token(self, gone: Callable[[], bool]) -> bool:
        if self._global_turn is None:
            self._global_turn = asyncio.Lock()
        self._global_waiting += 1
        try:
            async with self._global_turn:  # first come, first served
                while not self._take_token(self._clock()):
                    if self.closed or gone():
                        return False
                    await asyncio.sleep(min(POLL, (1.0 - self._tokens) / GLOBAL_RATE))
                return not (self.closed or gone())
        finally:
            self._global_waiting -= 1

    def close(self) -> None:
        """Release every waiting attempt (each returns False within ``POLL``)."""
        self.closed = True


def peer_key_of(sock: socket.socket | None, peername: object) -> str:
    """The client an attempt comes from: its IP, or on a unix socket its uid."""
    if sock is not None and sock.family == socket.AF_UNIX:
        try:
            creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
            _pid, uid, _gid = struct.unpack("3i", creds)
            return f"uid:{uid}"
        except OSError:
            return "unix"
    if isinstance(peername, tuple) and peername:
        return f"ip:{peername[0]}"
    return "unknown"
