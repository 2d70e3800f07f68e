"""Streaming a followed log to an HTTP client.

The engine follows the file (EngineAPI.follow_log: it wakes on the
process's output or the main log's lines); what this adds is the idle tick,
so a caller can notice a client that went away even if the log never grows
again. Each chunk is bounded, and the HTTP writer awaits the client, so a
slow client holds at most one chunk in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

from minder.engine.api import LogStream

TAIL_BYTES = 1024
CHUNK_BYTES = 64 * 1024
IDLE_SECONDS = 1.0


async def with_idle_ticks(
    follower: LogStream, idle: float = IDLE_SECONDS
) -> AsyncIterator[bytes]:
    """The follower's chunks, plus ``b""`` after each ``idle`` seconds of silence."""
    iterator = aiter(follower)
    pending: asyncio.Task[bytes] | None = None
    try:
        while True:
            if pending is None:
                pending = asyncio.ensure_future(anext(iterator))
            done, _ = await asyncio.wait({pending}, timeout=idle)
            if not done:
                yield b""
                continue
            try:
                chunk = pending.result()
            except StopAsyncIteration:
                return
            pending = None
            yield chunk
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await pending
        follower.close()
