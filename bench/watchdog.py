"""A per-run time limit that interrupts whatever the run is blocked in.

Every wait in the scenarios has its own deadline, but a daemon can also
hang inside a single RPC or a subprocess call. SIGALRM raises
``RunTimeout`` in the main thread so the run unwinds through its
``finally`` blocks (which kill the daemon). Cleanup disarms the alarm first
so that a late alarm cannot cut it short. Off the main thread (or inside
pytest, whose timeout plugin owns SIGALRM) it does nothing.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType


class RunTimeout(Exception):
    """The whole run took longer than its scenario's limit."""


_armed = False


def _fire(signum: int, frame: FrameType | None) -> None:
    global _armed
    if _armed:
        _armed = False
        raise RunTimeout("scenario time limit reached")


def disarm() -> None:
    global _armed
    if _armed:
        signal.setitimer(signal.ITIMER_REAL, 0)
        _armed = False


@contextlib.contextmanager
def limit(seconds: float, enabled: bool = True) -> Iterator[None]:
    """Raise ``RunTimeout`` in the body after ``seconds``."""
    global _armed
    use = enabled and threading.current_thread() is threading.main_thread()
    previous = None
    if use:
        previous = signal.signal(signal.SIGALRM, _fire)
        _armed = True
        signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        if use:
            disarm()
            signal.signal(signal.SIGALRM, previous)
