"""Adaptive read batching for busy output pipes (as NAPI does for network cards).

Why: a child that writes line by line (one ``write(2)`` per line) makes a
pipe readable thousands of times a second. Woken at once each time, the
daemon pays a wake-up (``epoll_wait``, the callback, a splice) for a few
lines; and on Linux 5.16 and later a pipe that sits in epoll runs epoll's
wake-up callback on *every* write, which the writer pays.

So a pipe has two modes:

- *watched* (the default): in epoll, read the moment it is readable. A
  quiet pipe stays here and its lines take no added latency.
- *batched*: a busy pipe, one that wakes the loop again less than
  ``INTERVAL`` after its last read or whose wake-up finds ``BUSY_BYTES``,
  is taken out of epoll, provided it fills slowly enough: at the rate just
  seen, less than half of what one read takes per ``INTERVAL``. One shared
  timer (one for every batched pipe, never one per pipe) reads it again,
  and again, until a read finds it empty (the child went quiet) or filling
  faster than that (the child could fill it before the next tick); either
  sends the pipe back to epoll. While batched, the child's writes wake
  nobody. A fast writer (hundreds of MB/s) is never batched: it is already
  read in big pieces and must not wait on a timer.

The tick adapts (``next_interval``): after each tick the next one is made
as long as lets the busiest batched pipe fill a quarter of one read
(``TARGET_SHARE`` of the half that makes a pipe leave), at least
``INTERVAL``, at most ``MAX_INTERVAL``, and at most twice the last one. A
pipe writing 2 MB/s is then read 16 KB at a time every 8 ms rather than
4 KB every 2 ms: a quarter of the splices and ticks for the same bytes. A
pipe that joins while the tick is long brings the next tick forward to
what its own rate allows. A tick that comes more than a tick late (the
daemon waits for a CPU: its reads are big already) sets the next one back
to ``INTERVAL``: there a longer tick saves nothing and only makes the
writers wait longer on full pipes.

The cost is latency: a line written to a batched pipe reaches its log at
most one tick (``INTERVAL`` to ``MAX_INTERVAL``, plus the event loop's own
lateness) after it was written; a writer blocks on a batched pipe only if
it more than doubles its rate within an ``INTERVAL`` tick (quadruples, on
a longer one), and then at most until that tick. Nothing is reordered or
lost: a pipe is read by exactly one path at a time (epoll or the tick),
and draining at exit and closing take the pipe out of the batch first.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

# A wake-up that moves this much found a busy pipe (about 650 lines of 100 B).
BUSY_BYTES = 64 * 1024
# The shortest tick, in seconds: a pipe joins and stays batched only if one
# tick this long fills less than half of what one read takes.
INTERVAL = 0.002
# The longest tick, in seconds: the most a busy pipe's line waits for its read.
MAX_INTERVAL = 0.008
# The tick grows while the busiest batched pipe fills at most this share of
# its half-a-read allowance per tick (so a quarter of a read).
TARGET_SHARE = 0.5


def next_interval(current: float, fill_rate: float, shortest: float, longest: float) -> float:
    """The next tick's length, for a busiest batched pipe that fills
    ``fill_rate`` half-reads a second: as long as keeps it at ``TARGET_SHARE``
    per tick, between ``shortest`` and ``longest``, and at most twice
    ``current`` (one quiet tick is not yet a quiet writer)."""
    wanted = TARGET_SHARE / fill_rate if fill_rate > 0 else longest
    return max(shortest, min(wanted, 2 * current, longest))


class Batchable(Protocol):
    """A pipe reader the batch can poll (PipeReader)."""

    def poll_batched(self, interval: float) -> float | None:
        """Read the pipe once; its fill rate (half-reads a second, see
        ``next_interval``) to stay batched, None when it went back to epoll
        or was closed. ``interval`` is the shortest tick: the pipe stays
        only while a tick that long fills less than half a read."""
        ...


class ReadBatch:
    """The batched pipes of one event loop and the one timer that reads them."""

    def __init__(self, interval: float = INTERVAL, max_interval: float = MAX_INTERVAL) -> None:
        self._shortest = interval
        self._longest = max(interval, max_interval)
        self._interval = interval  # the next tick's length (see next_interval)
        self._members: dict[Batchable, None] = {}  # ordered: pipes are read in join order
        self._timer: asyncio.TimerHandle | None = None
        self.ticks = 0  # timer firings so far (tests and the bench read it)
        self.joined = 0  # times a pipe entered the batch
        self.longest_tick = 0.0  # the longest tick scheduled so far (tests and the bench)
        self.starved_ticks = 0  # ticks that came more than a tick late (tests and the bench)

    def join(
        self, reader: Batchable, loop: asyncio.AbstractEventLoop, fill_rate: float = 0.0
    ) -> None:
        """``reader`` left ``loop``'s epoll: read it on the next tick, and no
        later than its ``fill_rate`` (half-reads a second) allows."""
        self._members[reader] = None
        self.joined += 1
        allowed = next_interval(self._longest, fill_rate, self._shortest, self._longest)
        if allowed < self._interval:
            self._interval = allowed
        if self._timer is not None and self._timer.when() > loop.time() + allowed:
            self._timer.cancel()
            self._timer = None
        if self._timer is None:
            self._schedule(loop, self._interval)

    def leave(self, reader: Batchable) -> None:
        """``reader`` is closed or reads on its own again: no more ticks for it."""
        self._members.pop(reader, None)
        if not self._members:
            self._interval = self._shortest
            if self._timer is not None:
                self._timer.cancel()
                self._timer = None

    @property
    def interval(self) -> float:
        """The shortest tick: the one a pipe's rate is judged by."""
        return self._shortest

    @property
    def next_tick(self) -> float:
        """The length of the next tick, as the batched pipes' rates set it."""
        return self._interval

    @property
    def due(self) -> float | None:
        """The loop time of the next tick (None: no pipe is batched)."""
        return None if self._timer is None else self._timer.when()

    @property
    def scheduled(self) -> bool:
        """A tick is due (exactly when some pipe is batched)."""
        return self._timer is not None

    def __contains__(self, reader: object) -> bool:
        return reader in self._members

    def __len__(self) -> int:
        return len(self._members)

    def _schedule(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        self.longest_tick = max(self.longest_tick, delay)
        self._timer = loop.call_later(delay, self._tick, loop)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        due = self._timer.when() if self._timer is not None else loop.time()
        self._timer = None
        self.ticks += 1
        # A tick that comes more than a tick late is a daemon waiting for a
        # CPU: its reads are big already, and a longer tick would only make
        # the writers wait longer on full pipes. Back to the shortest.
        starved = loop.time() - due > self._interval
        busiest = 0.0
        for reader in list(self._members):
            if reader not in self._members:
                continue
            try:
                rate = reader.poll_batched(self._shortest)
            except Exception as exc:  # one broken reader must not starve the others
                loop.call_exception_handler(
                    {"message": "reading a batched pipe failed", "exception": exc}
                )
                busiest = float("inf")  # unknown: the next tick is the shortest
                continue  # tried again next tick, as epoll would wake it again
            if rate is None:
                self._members.pop(reader, None)
            elif rate > busiest:
                busiest = rate
        if not self._members:
            self._interval = self._shortest
        elif self._timer is None:
            self._interval = (
                self._shortest
                if starved
                else next_interval(self._interval, busiest, self._shortest, self._longest)
            )
            if starved:
                self.starved_ticks += 1
            self._schedule(loop, self._interval)
