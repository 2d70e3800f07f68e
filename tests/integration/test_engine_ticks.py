"""TICK_5/60/3600 are plain timers aligned to their period (no polling loop)."""

from __future__ import annotations

import asyncio
import time

from minder.engine.bus import EventBus
from minder.engine.ticks import TickTimers
from minder.model.events import Tick


class ShiftedClock:
    """Real time moved so that an hour boundary is 0.2 s away."""

    def __init__(self) -> None:
        now = time.time()
        self.offset = (3600 - now % 3600) - 0.2

    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time() + self.offset


def test_ticks_fire_at_aligned_boundaries() -> None:
    async def scenario() -> list[Tick]:
        bus = EventBus()
        sub = bus.subscribe()
        ticks = TickTimers(asyncio.get_running_loop(), ShiftedClock(), bus)
        ticks.start()
        got: list[Tick] = []
        try:
            while len(got) < 3:
                event = await asyncio.wait_for(sub.get(), 30)
                assert isinstance(event, Tick)
                got.append(event)
        finally:
            ticks.stop()
            sub.close()
        return got

    got = asyncio.run(scenario())
    assert sorted(t.period for t in got) == [5, 60, 3600]
    whens = {t.when for t in got}
    assert len(whens) == 1
    (when,) = whens
    assert when % 3600 == 0


def test_a_period_nobody_wants_has_no_timer_until_it_is_wanted() -> None:
    """No TICK listener means no wake-ups; a listener added later gets its ticks."""

    async def scenario() -> tuple[tuple[int, ...], tuple[int, ...], Tick, tuple[int, ...]]:
        wanted: set[int] = set()
        bus = EventBus()
        sub = bus.subscribe()
        ticks = TickTimers(
            asyncio.get_running_loop(), ShiftedClock(), bus, needed=lambda p: p in wanted
        )
        ticks.start()
        try:
            idle = ticks.running
            wanted.add(3600)
            ticks.refresh()
            after_add = ticks.running
            event = await asyncio.wait_for(sub.get(), 30)
            assert isinstance(event, Tick)
            wanted.clear()
            ticks.refresh()
            return idle, after_add, event, ticks.running
        finally:
            ticks.stop()
            sub.close()

    idle, after_add, event, after_remove = asyncio.run(scenario())
    assert idle == ()
    assert after_add == (3600,)
    assert isinstance(event, Tick) and event.period == 3600 and event.when % 3600 == 0
    assert after_remove == ()
