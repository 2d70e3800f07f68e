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
import socket
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from minder.engine.api import EngineAPI
from minder.http.app import build_app
from minder.http.auth import FailureThrottle
from minder.http.logsink import HttpLog
from minder.http.security import PARSER_MAX_HEADERS, PARSER_MAX_LINE
from minder.http.sockets import HttpServerError, bind_inet, bind_unix, is_loopback, unlink_if_ours
from minder.model.specs import HttpServerSpec
from minder.rpc.methods import build_table
from minder.rpc.table import RpcTable

__all__ = ["HttpServerError", "HttpServers"]

MAIN_RPC_FACTORY = "supervisor.rpcinterface:make_main_rpcinterface"
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
        self._report_rpc_interfaces()
        table = build_table(self._api)
        try:
            for spec in self._specs:
                await self._start_one(spec, table)
        except BaseException:
            await self.close()
            raise

    def _report_rpc_interfaces(self) -> None:
        with contextlib.suppress(Exception):  # an engine without a root spec yet
            for iface in self._api.root_spec().rpcinterfaces:
                if iface.factory.replace(" ", "") == MAIN_RPC_FACTORY:
                    self._log.info(f"RPC interface '{iface.name}' initialized")
                else:
                    self._log.warn(
                        f"[rpcinterface:{iface.name}] uses factory {iface.factory}, which "
                        "minder does not support (it runs no Python plugins); its methods "
                        "are not available"
                    )

    def _bind(self, spec: HttpServerSpec) -> tuple[socket.socket, str | None, int]:
        if spec.family == "unix":
            if not spec.path:
                raise HttpServerError(f"[{spec.section}] has no file")
            sock, inode = bind_unix(
                spec.path, spec.chmod, spec.chown_uid, spec.chown_gid, self._log
            )
            return sock, spec.path, inode
        if spec.port is None:
            raise HttpServerError(f"[{spec.section}] has no port")
        sock = bind_inet(spec.host, spec.port)
        if not spec.username and not spec.allow_unauthenticated_remote and not is_loopback(sock):
            sock.close()
            where = f"{spec.host or '*'}:{spec.port}"
            message = (
                f"Server '{spec.section}' would accept unauthenticated connections from "
                f"other hosts on {where}: refusing to start it. Set username and password "
                f"in [{spec.section}], bind it to 127.0.0.1, or set "
                "allow_unauthenticated_remote=true to accept the risk"
            )
            self._log.critical(message)
            raise HttpServerError(message)
        return sock, None, 0

    async def _start_one(self, spec: HttpServerSpec, table: RpcTable) -> None:
        sock, unix_path, inode = self._bind(spec)
        if not spec.username:
            self._log.critical(
                f"Server '{spec.section}' running without any HTTP authentication checking"
            )
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
        running = _Running(spec, runner, unix_path, inode)
        self._running.append(running)
        try:
            await runner.setup()
            site = web.SockSite(runner, sock, backlog=1024, shutdown_timeout=SHUTDOWN_GRACE)
            await site.start()
        except BaseException:
            sock.close()
            raise

    async def close(self) -> None:
        running, self._running = self._running, []
        for server in reversed(running):
            try:
                await server.runner.cleanup()
            except Exception as exc:
                self._log.warn(f"closing HTTP server '{server.spec.section}': {exc!r}")
            if server.unix_path:
                unlink_if_ours(server.unix_path, server.unix_inode)
