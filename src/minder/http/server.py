"""HttpServers: every configured HTTP server of the daemon, started and closed together.

The daemon's composition root builds one ``HttpServers`` with the engine
facade, the [unix_http_server*]/[inet_http_server*] specs and the main log,
then awaits ``start()`` (which raises ``HttpServerError`` with an operator
message when a server cannot start) and, at exit, ``close()``.

Each listening socket is served by the fast path (fastpath.py), which
answers XML-RPC itself and hands other requests to the section's aiohttp
app, set up on first need (fallback.py). Nothing here imports aiohttp: a
daemon that only ever sees XML-RPC never loads it.

Secure by default: an inet server reachable from other hosts without a
username is refused unless its section sets allow_unauthenticated_remote.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

from minder.engine.api import EngineAPI
from minder.http.binding import BoundServer, bind_servers
from minder.http.credentials import Credentials
from minder.http.fallback import LazyAiohttp
from minder.http.fastsite import FastSite
from minder.http.hostcheck import allowed_names
from minder.http.lightweb import LightWeb
from minder.http.limits import ConnectionBudget
from minder.http.logins import LoginGate
from minder.http.logsink import HttpLog
from minder.http.sockets import BACKLOG, HttpServerError, unlink_if_ours
from minder.http.webui.csrf import new_token
from minder.model.specs import HttpServerSpec, RpcInterfaceSpec
from minder.records import mutable_record
from minder.rpc.methods import build_table
from minder.rpc.table import RpcTable

__all__ = ["HttpServerError", "HttpServers"]

SHUTDOWN_GRACE = 3.0
KEEPALIVE_SECONDS = 75.0
ACCEPT_BATCH = 16  # aiohttp's default keeps idle clients for an hour


@mutable_record
class _Running:
    spec: HttpServerSpec
    server: asyncio.Server
    site: FastSite
    unix_path: str | None = None
    unix_inode: int = 0


class HttpServers:
    def __init__(self, api: EngineAPI, specs: Sequence[HttpServerSpec], log: HttpLog) -> None:
        self._api = api
        self._specs = tuple(specs)
        self._log = log
        self._running: list[_Running] = []
        # One login gate for every server: a client's attempts count together.
        self._gate = LoginGate()
        # One connection budget too: descriptors are the process's, not a server's.
        self._budget = ConnectionBudget()

    async def start(self) -> None:
        """Bind and serve (the daemon binds first itself: see binding.py)."""
        rpcinterfaces: tuple[RpcInterfaceSpec, ...] = ()
        with contextlib.suppress(Exception):  # an engine without a root spec yet
            rpcinterfaces = self._api.root_spec().rpcinterfaces
        await self.serve(bind_servers(self._specs, rpcinterfaces, self._log))

    async def serve(self, bound: Sequence[BoundServer]) -> None:
        """Serve sockets bound by ``bind_servers``; on failure every one is released."""
        table = build_table(self._api)
        pending = list(bound)
        try:
            while pending:
                await self._start_one(pending[0], table)
                pending.pop(0)
        except BaseException:
            for server in pending:
                server.close()
            await self.close()
            raise

    async def _start_one(self, bound: BoundServer, table: RpcTable) -> None:
        spec = bound.spec
        # One CSRF token per server: in the pages the fast path serves and
        # checked by the aiohttp app that handles the POSTs.
        token = new_token()
        fallback = LazyAiohttp(
            self._api,
            spec,
            self._log,
            table,
            self._gate,
            shutdown_grace=SHUTDOWN_GRACE,
            keepalive=KEEPALIVE_SECONDS,
            csrf_token=token,
        )
        credentials = Credentials(spec.username, spec.password) if spec.username else None
        light = LightWeb(self._api, token, probe_endpoints=spec.probe_endpoints)
        host_names = None if spec.username else allowed_names(spec.host)
        site = FastSite(
            table,
            self._log,
            credentials,
            self._gate,
            self._budget,
            fallback,
            KEEPALIVE_SECONDS,
            light,
            host_names,
        )
        loop = asyncio.get_running_loop()
        # asyncio accepts up to ``backlog`` connections per wake-up before any
        # of them reaches the protocol (and the connection budget): keep that
        # batch small, then give the kernel its full listen queue back.
        server = await loop.create_server(site, sock=bound.sock, backlog=ACCEPT_BATCH)
        bound.sock.listen(BACKLOG)
        self._running.append(_Running(spec, server, site, bound.unix_path, bound.unix_inode))

    async def close(self) -> None:
        """Stop listening, let calls in flight answer (briefly), close every connection."""
        running, self._running = self._running, []
        self._gate.close()  # attempts waiting for their turn give up now
        for server in running:
            server.server.close()
        await asyncio.gather(*(server.site.close(SHUTDOWN_GRACE) for server in running))
        for server in reversed(running):
            try:
                await server.site.fallback.close()
            except Exception as exc:
                self._log.warn(f"closing HTTP server '{server.spec.section}': {exc!r}")
            if server.unix_path:
                unlink_if_ours(server.unix_path, server.unix_inode)
