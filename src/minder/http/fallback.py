"""The aiohttp server of one HTTP server section, built on first need.

Why lazily: importing aiohttp costs minderd about 15 MiB of memory and
most of its start-up time, and a daemon driven by supervisorctl alone
never needs it (fastpath.py serves XML-RPC, and lightweb.py what reading
the web UI and scraping /metrics ask for). The first request that the
fast path hands over (a web UI action, the log API, /logtail, a 401, a
malformed request…) imports aiohttp and sets up this section's ``web.AppRunner``; every
connection waiting meanwhile is handed over once it is ready. There are
no aiohttp sites: the fast path owns the listening sockets and passes
aiohttp whole connections through ``runner.server``, its protocol factory.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING

from minder.engine.api import EngineAPI
from minder.http.hygiene import PARSER_MAX_HEADERS, PARSER_MAX_LINE
from minder.http.logins import LoginGate
from minder.http.logsink import HttpLog
from minder.model.specs import HttpServerSpec
from minder.rpc.table import RpcTable

if TYPE_CHECKING:
    from aiohttp import web

ProtocolFactory = Callable[[], asyncio.Protocol]


class LazyAiohttp:
    """One section's aiohttp app and runner, set up by the first ``when_ready``."""

    def __init__(
        self,
        api: EngineAPI,
        spec: HttpServerSpec,
        log: HttpLog,
        table: RpcTable,
        gate: LoginGate,
        *,
        shutdown_grace: float,
        keepalive: float,
        csrf_token: str | None = None,
    ) -> None:
        self._api = api
        self._csrf_token = csrf_token
        self._spec = spec
        self._log = log
        self._table = table
        self._gate = gate
        self._shutdown_grace = shutdown_grace
        self._keepalive = keepalive
        self._runner: web.AppRunner | None = None
        self._building: asyncio.Task[None] | None = None

    @property
    def factory(self) -> ProtocolFactory | None:
        """aiohttp's protocol factory, if it is set up already."""
        return None if self._runner is None else self._runner.server

    def when_ready(self, callback: Callable[[ProtocolFactory | None], None]) -> None:
        """Call ``callback`` with the protocol factory once it is set up (at once
        if it is), or with None if it cannot be. Concurrent callers share one
        set-up."""
        factory = self.factory
        if factory is not None:
            callback(factory)
            return
        if self._building is None:
            self._building = asyncio.get_running_loop().create_task(self._build())

        def built(task: asyncio.Task[None]) -> None:
            if task.cancelled() or task.exception() is not None:
                if self._building is task:
                    self._building = None  # the next hand-over tries again
                callback(None)
            else:
                callback(self.factory)

        self._building.add_done_callback(built)

    async def _build(self) -> None:
        try:
            from aiohttp import web

            from minder.http.app import build_app

            app = build_app(
                self._api,
                self._spec,
                self._log,
                table=self._table,
                gate=self._gate,
                csrf_token=self._csrf_token,
            )
            runner = web.AppRunner(
                app,
                handle_signals=False,
                access_log=None,
                shutdown_timeout=self._shutdown_grace,
                keepalive_timeout=self._keepalive,
                max_line_size=PARSER_MAX_LINE,
                max_field_size=PARSER_MAX_LINE,
                max_headers=PARSER_MAX_HEADERS,
            )
            await runner.setup()
        except Exception as exc:
            self._log.error(f"cannot set up HTTP server '{self._spec.section}': {exc!r}")
            raise
        self._runner = runner

    async def close(self) -> None:
        """Clean up the runner if one was built (waiting for one being built)."""
        building, self._building = self._building, None
        if building is not None and not building.done():
            await asyncio.wait([building])
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()
