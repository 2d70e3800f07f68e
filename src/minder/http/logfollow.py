"""Push-driven log following, reusable by /logtail, /mainlogtail and the web UI.

The file reading (last N bytes, rotation, truncation notice) is the logs
package's ``follow``; what this adds is the wake-up source: for a process,
its output chunks on the engine bus; for the main log, MainLog's listener
hook. Between wake-ups nothing runs (a 1 s safety-net poll aside). Each
chunk read is bounded, and the HTTP writer awaits the client, so a slow
client holds at most one chunk in memory.

Both helpers yield ``b""`` when idle for a while, so a caller can notice a
client that went away even if the log never grows again.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from minder.engine.api import EngineAPI
from minder.engine.logs.follow import LogFollower, follow
from minder.http.logsink import HttpLog
from minder.model.events import ProcessLogChunk, ProcessStateChanged

TAIL_BYTES = 1024
CHUNK_BYTES = 64 * 1024
IDLE_SECONDS = 1.0


def open_process_follower(
    api: EngineAPI, group: str, name: str, channel: str, tail: int = TAIL_BYTES
) -> LogFollower:
    """Open the channel's log now (FileNotFoundError → the caller's 404)."""
    path = api.log_path(group, name, channel)
    if not path:
        raise FileNotFoundError(f"{group}:{name} has no {channel} log")

    def subscribe(wake: Callable[[], None]) -> Callable[[], None]:
        subscription = api.subscribe(logs=True, maxsize=16)

        async def pump() -> None:
            try:
                async for event in subscription:
                    if isinstance(event, ProcessLogChunk | ProcessStateChanged) and (
                        event.group == group and event.name == name
                    ):
                        wake()
            except Exception:  # the bus went away: the 1 s safety-net poll still follows
                return

        task = asyncio.get_running_loop().create_task(pump())

        def unsubscribe() -> None:
            task.cancel()
            subscription.close()

        return unsubscribe

    return follow(path, tail, subscribe=subscribe, chunk_size=CHUNK_BYTES)


def open_main_follower(api: EngineAPI, log: HttpLog, tail: int = TAIL_BYTES) -> LogFollower:
    path = api.main_log_path()
    if not path:
        raise FileNotFoundError("the main log is not a file")
    loop = asyncio.get_running_loop()

    def subscribe(wake: Callable[[], None]) -> Callable[[], None]:
        def on_line(_line: bytes) -> None:
            loop.call_soon_threadsafe(wake)  # MainLog may be written from any thread

        log.add_listener(on_line)
        return lambda: log.remove_listener(on_line)

    return follow(path, tail, subscribe=subscribe, chunk_size=CHUNK_BYTES)


async def with_idle_ticks(
    follower: LogFollower, idle: float = IDLE_SECONDS
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
