"""TICK_5 / TICK_60 / TICK_3600 as plain timers aligned to the period.

Each period schedules one timer for its next boundary (``when`` is the
boundary, ``int(now - now % period)``, as supervisord reports it); the
first tick comes at the first boundary after start-up, never at start-up.

Only listener pools observe ticks, so a period's timer runs only while
something wants it (``needed``): a daemon without a TICK listener never
wakes up for them, which is what keeps an idle minderd asleep. The
owner calls ``refresh()`` whenever the set of pools changes; a period that
becomes wanted starts at its next boundary, exactly as at start-up.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from minder.engine.bus import EventBus
from minder.engine.clock import Clock
from minder.model.events import Tick

PERIODS = (5, 60, 3600)


def _always(period: int) -> bool:
    return True


class TickTimers:
    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        clock: Clock,
        bus: EventBus,
        *,
        needed: Callable[[int], bool] = _always,
    ) -> None:
        self._loop = loop
        self._clock = clock
        self._bus = bus
        self._needed = needed
        self._handles: dict[int, asyncio.TimerHandle] = {}
        self._started = False

    def start(self) -> None:
        self._started = True
        self.refresh()

    def refresh(self) -> None:
        """Start the timers now wanted and cancel those no longer wanted."""
        if not self._started:
            return
        for period in PERIODS:
            wanted = self._needed(period)
            if wanted and period not in self._handles:
                self._schedule(period)
            elif not wanted and period in self._handles:
                self._handles.pop(period).cancel()

    @property
    def running(self) -> tuple[int, ...]:
        return tuple(sorted(self._handles))

    def _schedule(self, period: int) -> None:
        now = self._clock.time()
        delay = period - (now % period)
        self._handles[period] = self._loop.call_later(delay, self._fire, period)

    def _fire(self, period: int) -> None:
        now = self._clock.time()
        # The loop may wake a hair early; round to the nearest boundary.
        when = int(round(now / period) * period)
        self._bus.publish(Tick(period, when))
        if not self._needed(period):  # the last listener went away since
            self._handles.pop(period, None)
            return
        self._handles[period] = self._loop.call_later(
            max(0.5, when + period - self._clock.time()), self._fire, period
        )

    def stop(self) -> None:
        self._started = False
        for handle in self._handles.values():
            handle.cancel()
        self._handles.clear()
