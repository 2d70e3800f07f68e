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
  timer (one for every batched pipe, never one per pipe) reads it again
  ``INTERVAL`` later, and again, until a read finds it empty (the child
  went quiet) or filling faster than that (the child could fill it before
  the next tick); either sends the pipe back to epoll. While batched, the
  child's writes wake nobody. A fast writer (hundreds of MB/s) is never
  batched: it is already read in big pieces and must not wait on a timer.

The cost is latency: a line written to a batched pipe reaches its log at
most ``INTERVAL`` (plus the event loop's own lateness) after it was
written; a writer blocks on a batched pipe only if it more than doubles
its rate within a tick, and then at most until that tick. Nothing is
reordered or lost: a pipe is read by exactly one path at a time (epoll or
the tick), and draining at exit and closing take the pipe out of the
batch first.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

# A wake-up that moves this much found a busy pipe (about 650 lines of 100 B).
BUSY_BYTES = 64 * 1024
# How long a busy pipe's bytes may wait for the next tick, in seconds.
INTERVAL = 0.002


class Batchable(Protocol):
    """A pipe reader the batch can poll (PipeReader)."""

    def poll_batched(self, interval: float) -> bool:
        """Read the pipe once (``interval`` after the last time); True to stay
        batched, False when it went back to epoll or was closed."""
        ...


class ReadBatch:
    """The batched pipes of one event loop and the one timer that reads them."""

    def __init__(self, interval: float = INTERVAL) -> None:
        self._interval = interval
        self._members: dict[Batchable, None] = {}  # ordered: pipes are read in join order
        self._timer: asyncio.TimerHandle | None = None
        self.ticks = 0  # timer firings so far (tests and the bench read it)
        self.joined = 0  # times a pipe entered the batch

    def join(self, reader: Batchable, loop: asyncio.AbstractEventLoop) -> None:
        """``reader`` left ``loop``'s epoll: read it on the next tick."""
        self._members[reader] = None
        self.joined += 1
        if self._timer is None:
            self._timer = loop.call_later(self._interval, self._tick, loop)

    def leave(self, reader: Batchable) -> None:
        """``reader`` is closed or reads on its own again: no more ticks for it."""
        self._members.pop(reader, None)
        if not self._members and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    @property
    def interval(self) -> float:
        return self._interval

    @property
    def scheduled(self) -> bool:
        """A tick is due (exactly when some pipe is batched)."""
        return self._timer is not None

    def __contains__(self, reader: object) -> bool:
        return reader in self._members

    def __len__(self) -> int:
        return len(self._members)

    def _tick(self, loop: asyncio.AbstractEventLoop) -> None:
        self._timer = None
        self.ticks += 1
        for reader in list(self._members):
            if reader not in self._members:
                continue
            try:
                stay = reader.poll_batched(self._interval)
            except Exception as exc:  # one broken reader must not starve the others
                loop.call_exception_handler(
                    {"message": "reading a batched pipe failed", "exception": exc}
                )
                continue  # tried again next tick, as epoll would wake it again
            if not stay:
                self._members.pop(reader, None)
        if self._members and self._timer is None:
            self._timer = loop.call_later(self._interval, self._tick, loop)
