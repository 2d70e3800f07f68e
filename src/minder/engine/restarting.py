"""What the engine does around a restart it makes on its own.

The restart jitter's random number (model/pacing.py takes it as an input, so
the state machine stays pure), and the yield that lets a restarted child run
before the daemon's bookkeeping.
"""

from __future__ import annotations

import os
import time

from minder.model import machine as mc

_DRAW_BYTES = 7  # bytes per number (56 bits, as before the pool)
_POOL_DRAWS = 64  # numbers per os.urandom call
_pool = b""
_next = 0


def uniform() -> float:
    """A uniform number in [0, 1) for restart jitter.

    Not ``random.random``: the random module imports hashlib (and with it
    OpenSSL's libcrypto), which the daemon keeps out of its memory. Every
    exit takes one (the state machine is handed it with the exit), so a
    stop of 500 asked the kernel 500 times; the bytes now come 64 numbers
    at a time.
    """
    global _pool, _next
    if _next >= len(_pool):
        _pool = os.urandom(_DRAW_BYTES * _POOL_DRAWS)
        _next = 0
    start = _next
    _next = start + _DRAW_BYTES
    return int.from_bytes(_pool[start:_next], "little") / (1 << 56)


def _forget_pool() -> None:
    """A forked process must not hand out the same numbers as its parent."""
    global _pool, _next
    _pool, _next = b"", 0


os.register_at_fork(after_in_child=_forget_pool)


# A crash's restart, a paced restart, a BACKOFF retry: the restarts whose
# latency a program feels (not a burst of starts, ``start all``).
RESTARTS = (mc.Exited, mc.TimerFired)


# At most one yield per this many seconds: when many programs crash at once
# (an OOM kill, a shared dependency gone), each restarted child could take a
# whole time slice per yield while the other exits wait to be handled.
YIELD_SPACING = 0.01
_last_yield = -YIELD_SPACING


def let_child_run() -> None:
    """Give the CPU to the child just restarted before our own bookkeeping.

    After vfork + exec the child often waits on the daemon's CPU, and the
    runnable daemon went first: its log lines, events, journal and readers
    (~1-2 ms of Python) delayed the child's first instruction. A Python
    parent busy 2 ms after Popen, the bench's C child, 2 cores: Popen → the
    child's start stamp 2.8 ms, 0.77 ms with this yield. Restarts only, and
    spaced (``YIELD_SPACING``): in a burst each yield could hand a busy child
    a whole time slice.
    """
    global _last_yield
    now = time.monotonic()
    if now - _last_yield >= YIELD_SPACING:
        _last_yield = now
        os.sched_yield()
