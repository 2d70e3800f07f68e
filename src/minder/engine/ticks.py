"""TICK_5 / TICK_60 / TICK_3600 as plain timers aligned to the period.

Each period schedules one timer for its next boundary (``when`` is the
boundary, ``int(now - now % period)``, as supervisord reports it); the
first tick comes at the first boundary after start-up, never at start-up.
"""

from __future__ import annotations

import asyncio

from minder.engine.bus import EventBus
from minder.engine.clock import Clock
from minder.model.events import Tick

PERIODS = (5, 60, 3600)


class TickTimers:
    def __init__(self, loop: asyncio.AbstractEventLoop, clock: Clock, bus: EventBus) -> None:
        self._loop = loop
        self._clock = clock
        self._bus = bus
        self._handles: dict[int, asyncio.TimerHandle] = {}

    def start(self) -> None:
        for period in PERIODS:
            self._schedule(period)

    def _schedule(self, period: int) -> None:
        now = self._clock.time()
        delay = period - (now % period)
        self._handles[period] = self._loop.call_later(delay, self._fire, period)

    def _fire(self, period: int) -> None:
        now = self._clock.time()
        # The loop may wake a hair early; round to the nearest boundary.
        when = int(round(now / period) * period)
        self._bus.publish(Tick(period, when))
        self._handles[period] = self._loop.call_later(
            max(0.5, when + period - self._clock.time()), self._fire, period
        )

    def stop(self) -> None:
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
