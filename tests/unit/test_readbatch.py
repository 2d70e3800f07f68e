"""ReadBatch's shared tick: a reader that raises must not stop it for the others.

Batched pipes are out of epoll; only the tick reads them. If one reader's
read raised out of the tick, the pipes after it (and, with no new timer,
every batched pipe) would never be read again and their writers would block.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from minder.engine.readbatch import ReadBatch


class Counting:
    def __init__(self, rounds: int) -> None:
        self.polls = 0
        self.rounds = rounds

    def poll_batched(self, interval: float) -> float | None:
        self.polls += 1
        return 1.0 if self.polls < self.rounds else None


class Broken:
    def poll_batched(self, interval: float) -> float | None:
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


class Steady:
    """A pipe that fills at ``rate`` half-reads a second until told to stop."""

    def __init__(self, rate: float) -> None:
        self.rate: float | None = rate
        self.polls = 0

    def poll_batched(self, interval: float) -> float | None:
        self.polls += 1
        return self.rate


def test_the_tick_grows_for_trickling_pipes_and_shortens_for_a_fast_one() -> None:
    async def scenario() -> tuple[set[float], float, float, float, float]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 20
        batch = ReadBatch(interval=0.002, max_interval=0.016)
        slow = Steady(rate=1.0)  # wants a tick of 0.5 s: capped at 16 ms
        batch.join(slow, loop, 1.0)
        seen = {batch.next_tick}
        while batch.next_tick < 0.016 and loop.time() < deadline:
            await asyncio.sleep(0.0005)
            seen.add(batch.next_tick)
        # A pipe filling at 500 half-reads a second needs the shortest tick: it
        # joins while the 16 ms tick is pending and brings it forward.
        fast = Steady(rate=500.0)
        batch.join(fast, loop, 500.0)
        brought_forward = (batch.due or 0) - loop.time()
        polls = fast.polls
        while fast.polls < polls + 3 and loop.time() < deadline:
            await asyncio.sleep(0.0005)
        with_fast = batch.next_tick
        fast.rate = None  # it went back to epoll: the tick grows again
        while batch.next_tick < 0.016 and loop.time() < deadline:
            await asyncio.sleep(0.0005)
        regrown = batch.next_tick
        slow.rate = None
        while batch.scheduled and loop.time() < deadline:
            await asyncio.sleep(0.0005)
        return seen, brought_forward, with_fast, regrown, batch.next_tick

    seen, brought_forward, with_fast, regrown, emptied = asyncio.run(scenario())
    assert 0.016 in seen and seen <= {0.002, 0.004, 0.008, 0.016}  # doubling, capped
    assert brought_forward <= 0.002  # not the slow pipe's 16 ms tick
    assert with_fast == 0.002  # the fast pipe's rate sets it while it is batched
    assert regrown == 0.016
    assert emptied == 0.002  # empty batch: the next pipe starts at the shortest tick


def test_a_tick_that_comes_late_does_not_grow() -> None:
    """A loop that cannot keep its timers (a daemon waiting for a CPU) reads
    big chunks anyway: a longer tick would only keep writers waiting."""

    async def scenario() -> ReadBatch:
        loop = asyncio.get_running_loop()
        batch = ReadBatch(interval=0.001, max_interval=0.016)
        slow = Steady(rate=1.0)  # on time, this pipe would get the 16 ms tick
        batch.join(slow, loop, 1.0)
        deadline = loop.time() + 20
        while slow.polls < 8 and loop.time() < deadline:
            time.sleep(0.05)  # the loop is held 50 ms at a time: every tick is late
            await asyncio.sleep(0)
        slow.rate = None
        while batch.scheduled and loop.time() < deadline:
            await asyncio.sleep(0.001)
        return batch

    batch = asyncio.run(scenario())
    assert batch.ticks >= 8
    assert batch.longest_tick == 0.001
    assert batch.starved_ticks >= 6
