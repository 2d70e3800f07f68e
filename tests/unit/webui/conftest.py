"""Run a web UI scenario against the fake engine on aiohttp's test server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from minder.http.hostcheck import allowed_names
from minder.http.security import host_guard
from minder.http.webui import register
from tests.fakes.engine import FakeEngine

SECRET = b"unit-test-secret"
Scenario = Callable[[TestClient[web.Request, web.Application], FakeEngine], Awaitable[None]]


def run_scenario(engine: FakeEngine, scenario: Scenario, *, credentials: bool = False) -> None:
    """``credentials``: as on a server with a username, where build_app mounts no
    host guard (its auth middleware, not modelled here, protects it)."""

    async def main() -> None:
        guard = [] if credentials else [host_guard(allowed_names(None))]
        app = web.Application(middlewares=guard)
        register(app, engine, csrf_secret=SECRET)
        async with TestClient(TestServer(app)) as client:
            await scenario(client, engine)

    asyncio.run(main())


def token() -> str:
    from minder.http.webui.csrf import CsrfGuard

    return CsrfGuard(SECRET).token


def mutation_headers() -> dict[str, str]:
    return {"X-CSRF-Token": token()}
