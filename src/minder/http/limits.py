"""How many HTTP connections the daemon holds, and which one gives way.

Why (issue 18, item 4): with no limit, 1,500 connections that each sent
half a request head took every descriptor of a daemon at the usual
1,024-descriptor limit. The admin was locked out and a program that
crashed could not be restarted (EMFILE: FATAL). So:

* **A cap.** At most ``MAX_CONNECTIONS`` connections over all the daemon's
  HTTP servers, and never so many that fewer than ``reserve_fds()``
  descriptors stay free for spawning programs and opening logs. The
  descriptor count is read for free: the kernel gives a new socket the
  lowest free number, so a socket numbered ``n`` means at least ``n``
  descriptors are in use.
* **The newcomer wins.** A connection accepted over the cap does not wait
  and is not refused while someone else can give way: the connection
  that has waited longest *without sending a whole request head* is
  closed for it; failing that, the one idle (or only streaming to us)
  the longest. A connection with an XML-RPC call in flight never gives
  way. An attacker's trickling connections are thus the first to go, and
  an authorised client always gets in.
* The connections themselves (fastpath.py) close a head that is not
  complete ``HEAD_TIMEOUT`` seconds after it began.

No aiohttp here, and nothing that knows HTTP: a connection is anything with
``evictable`` and ``evict()``.
"""

from __future__ import annotations

import resource
from collections import OrderedDict
from typing import Protocol

MAX_CONNECTIONS = 512
HEAD_TIMEOUT = 10.0
# What a head may grow to while we wait for its end before handing it to
# aiohttp (which then gives 431 for anything above the header limits).
MAX_HEAD_WAIT = 128 * 1024


def reserve_fds() -> int:
    """Descriptors kept free of connections: spawning a program takes a few
    (pipes, /dev/null, log files), several may spawn at once."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 128
    return max(64, soft // 8)


def fd_ceiling() -> int:
    """Descriptor numbers at or above this are the reserve's."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return soft - reserve_fds()


class Connection(Protocol):
    @property
    def evictable(self) -> bool: ...

    def evict(self) -> None: ...


class ConnectionBudget:
    """Every HTTP connection of the daemon: at most ``limit``, within the fd reserve."""

    def __init__(self, limit: int = MAX_CONNECTIONS) -> None:
        self.limit = limit
        # No whole request head yet, oldest first: the first to give way.
        self._fresh: OrderedDict[Connection, None] = OrderedDict()
        # Past their first head, least recently active first.
        self._settled: OrderedDict[Connection, None] = OrderedDict()
        self.evicted = 0
        self.refused = 0

    def __len__(self) -> int:
        return len(self._fresh) + len(self._settled)

    def admit(self, conn: Connection, fileno: int) -> bool:
        """Take ``conn`` in, closing another for it if the cap or the reserve
        requires; False (``conn`` must be closed) if none can give way."""
        # ``fileno`` is the lowest free descriptor, so at least that many are in use.
        excess = max(len(self) + 1 - self.limit, fileno + 1 - fd_ceiling())
        while excess > 0:
            victim = self._victim()
            if victim is None:
                self.refused += 1
                return False
            self.discard(victim)
            self.evicted += 1
            victim.evict()
            excess -= 1
        self._fresh[conn] = None
        return True

    def settle(self, conn: Connection) -> None:
        """``conn`` sent a whole request head (or was active again)."""
        if self._fresh.pop(conn, 0) is None or conn in self._settled:
            self._settled[conn] = None
            self._settled.move_to_end(conn)

    def discard(self, conn: Connection) -> None:
        self._fresh.pop(conn, None)
        self._settled.pop(conn, None)

    def _victim(self) -> Connection | None:
        for pool in (self._fresh, self._settled):
            for conn in pool:
                if conn.evictable:
                    return conn
        return None
