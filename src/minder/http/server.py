"""HttpServers: every configured HTTP server of the daemon, started and closed together.

The daemon's composition root builds one ``HttpServers`` with the engine
facade, the [unix_http_server*]/[inet_http_server*] specs and the main log,
then awaits ``start()`` (which raises ``HttpServerError`` with an operator
message when a server cannot start) and, at exit, ``close()``.

Secure by default: an inet server reachable from other hosts without a
username is refused unless its section sets allow_unauthenticated_remote.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from minder.engine.api import EngineAPI
from minder.http.app import build_app
from minder.http.auth import FailureThrottle
from minder.http.binding import BoundServer, bind_servers
from minder.http.logsink import HttpLog
from minder.http.security import PARSER_MAX_HEADERS, PARSER_MAX_LINE
from minder.http.sockets import HttpServerError, unlink_if_ours
from minder.model.specs import HttpServerSpec, RpcInterfaceSpec
from minder.rpc.methods import build_table
from minder.rpc.table import RpcTable

__all__ = ["HttpServerError", "HttpServers"]

SHUTDOWN_GRACE = 3.0
KEEPALIVE_SECONDS = 75.0  # aiohttp's default keeps idle clients for an hour


@dataclass
class _Running:
    spec: HttpServerSpec
    runner: web.AppRunner
    unix_path: str | None = None
    unix_inode: int = 0


class HttpServers:
    def __init__(self, api: EngineAPI, specs: Sequence[HttpServerSpec], log: HttpLog) -> None:
        self._api = api
        self._specs = tuple(specs)
        self._log = log
        self._running: list[_Running] = []
        self._throttle = FailureThrottle()

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
        app = build_app(self._api, spec, self._log, table=table, throttle=self._throttle)
        runner = web.AppRunner(
            app,
            handle_signals=False,
            access_log=None,
            shutdown_timeout=SHUTDOWN_GRACE,
            keepalive_timeout=KEEPALIVE_SECONDS,
            max_line_size=PARSER_MAX_LINE,
            max_field_size=PARSER_MAX_LINE,
            max_headers=PARSER_MAX_HEADERS,
        )
        await runner.setup()
        running = _Running(spec, runner, bound.unix_path, bound.unix_inode)
        self._running.append(running)
        site = web.SockSite(runner, bound.sock, backlog=1024, shutdown_timeout=SHUTDOWN_GRACE)
        await site.start()

    async def close(self) -> None:
        running, self._running = self._running, []
        for server in reversed(running):
            try:
                await server.runner.cleanup()
            except Exception as exc:
                self._log.warn(f"closing HTTP server '{server.spec.section}': {exc!r}")
            if server.unix_path:
                unlink_if_ours(server.unix_path, server.unix_inode)
