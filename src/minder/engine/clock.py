"""Injected time, so tests of timing logic can use a fake clock.

Deadlines use ``monotonic()`` (immune to wall-clock jumps, which supervisord
has to detect and correct by hand); ``time()`` is only for the epoch values
that clients display (start/stop times, event timestamps).
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def monotonic(self) -> float: ...

    def time(self) -> float: ...


class SystemClock:
    def monotonic(self) -> float:
        return time.monotonic()

    def time(self) -> float:
        return time.time()
