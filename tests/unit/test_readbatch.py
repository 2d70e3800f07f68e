"""ReadBatch's shared tick: a reader that raises must not stop it for the others.

Batched pipes are out of epoll; only the tick reads them. If one reader's
read raised out of the tick, the pipes after it (and, with no new timer,
every batched pipe) would never be read again and their writers would block.
"""

from __future__ import annotations

import asyncio
from typing import Any

from minder.engine.readbatch import ReadBatch


class Counting:
    def __init__(self, rounds: int) -> None:
        self.polls = 0
        self.rounds = rounds

    def poll_batched(self, interval: float) -> bool:
        self.polls += 1
        return self.polls < self.rounds


class Broken:
    def poll_batched(self, interval: float) -> bool:
        raise RuntimeError("a channel that fails")


def test_a_raising_reader_neither_stops_the_tick_nor_starves_the_others() -> None:
    reported: list[dict[str, Any]] = []

    async def scenario() -> tuple[int, bool]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(lambda _loop, context: reported.append(context))
        batch = ReadBatch(interval=0.001)
        broken, healthy = Broken(), Counting(rounds=5)
        batch.join(broken, loop)  # first in join order: read first every tick
        batch.join(healthy, loop)
        deadline = loop.time() + 10
        while healthy.polls < 5 and loop.time() < deadline:
            await asyncio.sleep(0.001)
        still = broken in batch
        batch.leave(broken)
        return healthy.polls, still

    polls, broken_still_batched = asyncio.run(scenario())
    assert polls == 5  # read on every tick until it asked to leave
    assert broken_still_batched  # retried on the next tick, as epoll would
    assert reported and isinstance(reported[0]["exception"], RuntimeError)
