"""Long-lived responses (log tails, event streams) and daemon shutdown.

aiohttp waits for running handlers when a server closes; a ``tail -f``
never finishes on its own. Handlers that stream register their task here
and the app cancels them all on shutdown, so the daemon stops promptly.
The web UI's SSE handlers use the same helper.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager

from aiohttp import web

STREAM_TASKS: web.AppKey[set[asyncio.Task[object]]] = web.AppKey("minder_stream_tasks")


def install(app: web.Application) -> None:
    app[STREAM_TASKS] = set()
    app.on_shutdown.append(_cancel_streams)


@contextmanager
def streaming(request: web.Request) -> Iterator[None]:
    """Mark the current handler as a stream to cancel at shutdown."""
    task = asyncio.current_task()
    tasks = request.config_dict.get(STREAM_TASKS)
    if task is None or tasks is None:
        yield
        return
    tasks.add(task)
    try:
        yield
    finally:
        tasks.discard(task)


async def _cancel_streams(app: web.Application) -> None:
    tasks: set[asyncio.Task[object]] = app[STREAM_TASKS]
    for task in tuple(tasks):
        task.cancel()


def client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
