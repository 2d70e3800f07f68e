"""What the fast-path connections of one server section share (http/fastpath.py).

Separate from the per-connection protocol because it is the section's
bookkeeping, not the wire: the connections it accepted (so shutdown and
the connection budget can reach them), the calls in flight (held here so a
call whose client went away still runs to its end, and shutdown can give
them a grace period), and what every connection is configured with. It is
also the protocol factory the server hands to asyncio.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any

from minder.http.credentials import Credentials
from minder.http.fallback import LazyAiohttp
from minder.http.fastpath import FastConnection
from minder.http.lightweb import LightWeb
from minder.http.limits import ConnectionBudget
from minder.http.logins import LoginGate
from minder.http.logsink import HttpLog
from minder.rpc.table import RpcTable


class FastSite:
    """What the connections of one server section share; the protocol factory."""

    def __init__(
        self,
        table: RpcTable,
        log: HttpLog,
        credentials: Credentials | None,
        gate: LoginGate,
        budget: ConnectionBudget,
        fallback: LazyAiohttp,
        keepalive: float,
        light: LightWeb | None = None,
        host_names: frozenset[str] | None = None,
    ) -> None:
        self.table = table
        self.light = light
        self.log = log
        self.credentials = credentials
        self.gate = gate
        self.budget = budget
        # Without credentials: the Host names answered over TCP (hostcheck.py).
        self.host_names = host_names
        self.fallback = fallback
        self.keepalive = keepalive
        self.connections: set[FastConnection] = set()
        # Calls in flight, held here so that a call whose client went away
        # still runs to its end (and shutdown can wait for it).
        self.calls: set[asyncio.Task[None]] = set()
        self.closing = False

    def __call__(self) -> FastConnection:
        return FastConnection(self)

    def start_call(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self.calls.add(task)
        task.add_done_callback(self._call_done)
        return task

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self.calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.error(f"XML-RPC connection failed: {task.exception()!r}")

    async def close(self, grace: float) -> None:
        """Close idle connections now; give calls in flight ``grace`` seconds to answer."""
        self.closing = True
        if self.light is not None:
            self.light.close_streams()  # each stream then ends and closes its connection
        for conn in tuple(self.connections):
            if conn.call is None:
                conn.close()
        if self.calls:
            _, late = await asyncio.wait(tuple(self.calls), timeout=grace)
            for call in late:
                call.cancel()
        for conn in tuple(self.connections):
            conn.close()
