"""Run a web UI scenario against the fake engine on aiohttp's test server."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from minder.http.webui import register
from tests.fakes.engine import FakeEngine

SECRET = b"unit-test-secret"
Scenario = Callable[[TestClient[web.Request, web.Application], FakeEngine], Awaitable[None]]


def run_scenario(engine: FakeEngine, scenario: Scenario) -> None:
    async def main() -> None:
        app = web.Application()
        register(app, engine, csrf_secret=SECRET)
        async with TestClient(TestServer(app)) as client:
            await scenario(client, engine)

    asyncio.run(main())


def token() -> str:
    from minder.http.webui.csrf import CsrfGuard

    return CsrfGuard(SECRET).token


def mutation_headers() -> dict[str, str]:
    return {"X-CSRF-Token": token()}
