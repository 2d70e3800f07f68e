"""The per-channel output pipeline of a child: pipe → (strip ANSI) → log → bus.

Why this shape: a chatty child must cost little. When nothing needs the
bytes in Python (no capture, no route, no events, no log subscriber, no
strip_ansi, no debug echo, no syslog) the sink splices them from the pipe
into the file inside the kernel; the moment a consumer appears, the next
readable pipe takes the read path instead. That path reads large chunks
(256 KiB) and hands each straight to its sink with no per-line work. Event
chunks are only built when someone consumes them (``events_enabled`` or a
log subscriber).

A pipe that a splice or read finds full is a child writing faster than the
daemon wakes: that pipe is grown to ``HOT_PIPE_SIZE`` (1 MiB, or the
system's pipe-max-size), so each wake-up moves four times as much. Only hot
pipes grow, because every pipe slot is kernel memory the moment the size is
set: 5,000 quiet programs keep the small pipes spawn gave them. Growing
needs root, for the reason spawn gives (``_grow_pipe``).

Seams for the event-listener machinery:
- ``capture``: a filter that sees each chunk first and returns what is
  left for the log (PROCESS_COMMUNICATION capture mode plugs in here);
- ``route``: replaces the whole pipeline for this channel (a listener's
  stdout carries the listener protocol, not log output).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import fcntl
import os
from collections.abc import Callable
from typing import Protocol

from minder.engine.bus import EventBus
from minder.engine.logs.ansi import strip_ansi
from minder.engine.readbatch import BUSY_BYTES, ReadBatch
from minder.model.events import ProcessLogChunk

READ_SIZE = 256 * 1024
# Linux's numbers; fcntl names them only where the platform has them.
F_SETPIPE_SZ: int = getattr(fcntl, "F_SETPIPE_SZ", 1031)
F_GETPIPE_SZ: int = getattr(fcntl, "F_GETPIPE_SZ", 1032)


def _hot_pipe_size() -> int:
    """1 MiB, capped by the system's limit; 0 when pipes must not be grown here."""
    if os.geteuid() != 0:
        return 0
    try:
        with open("/proc/sys/fs/pipe-max-size", "rb") as f:
            limit = int(f.read())
    except (OSError, ValueError):
        return 0
    return min(1024 * 1024, limit)


HOT_PIPE_SIZE = _hot_pipe_size()


class LogSink(Protocol):
    """What a channel writes to (ChildLog in production)."""

    def write(self, data: bytes) -> None: ...

    def reopen(self) -> None: ...

    def clear(self) -> None: ...

    def touch(self) -> None: ...

    def create_unborn(self) -> str | None: ...

    def splice_from(self, src: int) -> int | None: ...

    def release(self) -> None: ...

    def close(self) -> None: ...


Capture = Callable[[bytes], bytes]
Route = Callable[[bytes], None]


class OutputChannel:
    """One of stdout/stderr of one process; survives respawns (the log stays open)."""

    def __init__(
        self,
        *,
        group: str,
        name: str,
        channel: str,
        sink: LogSink | None,
        bus: EventBus,
        strip: bool,
        events_enabled: bool,
        debug_echo: Callable[[str], None] | None = None,
    ) -> None:
        self.group = group
        self.name = name
        self.channel = channel
        self.sink = sink
        self._bus = bus
        self._strip = strip
        self.events_enabled = events_enabled
        self.capture: Capture | None = None
        self.route: Route | None = None
        self.tee: Route | None = None  # childlogs_to_stdout: a copy to the daemon's stdout
        self._debug_echo = debug_echo
        self.pid = 0
        self._readers = 0  # open pipes feeding this channel (a grandchild may hold one)

    # --- what other engine parts plug in (never by writing these fields) -----

    def started(self, pid: int) -> None:
        """A new child writes to this channel from now on (its pid tags the events)."""
        self.pid = pid

    def plug(
        self,
        *,
        route: Route | None = None,
        capture: Capture | None = None,
        tee: Route | None = None,
    ) -> None:
        """Install a listener's protocol (``route``), capture mode (``capture``) or a
        copy to the daemon's stdout (``tee``), once each."""
        if route is not None and self.route is None:
            self.route = route
        if capture is not None and self.capture is None:
            self.capture = capture
        if tee is not None and self.tee is None:
            self.tee = tee

    def feed_uncaptured(self, data: bytes) -> None:
        """Log ``data`` past the capture filter (what a capture parser held back at the end)."""
        hook, self.capture = self.capture, None
        try:
            self.feed(data)
        finally:
            self.capture = hook

    def splice_from(self, fd: int) -> int | None:
        """Move the pipe's bytes to the log in the kernel, or None: read them instead."""
        if (
            self.sink is None
            or self.route is not None
            or self.capture is not None
            or self.tee is not None
            or self._strip
            or self.events_enabled
            or self._debug_echo is not None
            or self._bus.wants_logs
        ):
            return None
        return self.sink.splice_from(fd)

    def reader_opened(self) -> None:
        """A child was spawned onto this channel: its log path must exist (supervisord)."""
        self._readers += 1
        if self.sink is not None:
            self.sink.touch()

    def reader_closed(self) -> None:
        """A pipe reached EOF; with none left, the log gives its descriptor back."""
        self._readers -= 1
        if self._readers <= 0:
            self._readers = 0
            if self.sink is not None:
                self.sink.release()

    def feed(self, data: bytes) -> None:
        """Handle one chunk read from the pipe."""
        if self.route is not None:
            self.route(data)
            return
        if self._strip:
            data = strip_ansi(data)
        if self.capture is not None:
            data = self.capture(data)
            if not data:
                return
        if self.sink is not None:
            self.sink.write(data)
        if self.tee is not None:
            self.tee(data)
        if self._debug_echo is not None:
            self._debug_echo(
                f"{self.name!r} {self.channel} output:\n{data.decode('utf-8', 'replace')}"
            )
        if self.events_enabled or self._bus.wants_logs:
            self._bus.publish(ProcessLogChunk(self.group, self.name, self.channel, self.pid, data))

    def close(self) -> None:
        if self.sink is not None:
            self.sink.close()


class PipeReader:
    """Reads one non-blocking pipe fd into a channel until EOF.

    Watched in epoll, or batched (read by ``batch``'s timer) while it is
    busy: see ``engine/readbatch.py``. Exactly one of the two reads it at a
    time, so its bytes keep their order.
    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        fd: int,
        channel: OutputChannel,
        on_eof: Callable[[], None] | None = None,
        batch: ReadBatch | None = None,
    ) -> None:
        self._loop = loop
        self.fd: int | None = fd
        self._channel = channel
        self._on_eof = on_eof
        self._batch = batch
        self._pipe_size = 0  # grow the pipe when a wake-up finds this many bytes in it
        self._capacity = 0  # the pipe's size (0: not a pipe, never batched)
        self._last_read = -1.0  # loop time of the last read
        try:
            size = self._capacity = fcntl.fcntl(fd, F_GETPIPE_SZ)
            if size < HOT_PIPE_SIZE:
                self._pipe_size = size
        except OSError:  # not a pipe: never grown nor batched
            pass
        channel.reader_opened()
        loop.add_reader(fd, self._readable)

    def _readable(self) -> None:
        now = self._loop.time()
        moved = self._move()
        batch, last, self._last_read = self._batch, self._last_read, now
        if batch is None or self._channel.route is not None:
            return  # an event listener's replies: each one is waited for
        rate = self._fill_rate(moved, now - last)
        if rate is None or rate * batch.interval >= 1.0:
            return
        if moved >= BUSY_BYTES or now - last < batch.interval:
            # Busy (a big read, or a second wake-up within a tick): let its
            # next lines pile up for a tick instead of waking us one by one.
            assert self.fd is not None
            self._loop.remove_reader(self.fd)
            batch.join(self, self._loop, rate)

    def poll_batched(self, interval: float) -> float | None:
        """The batch's tick: read once; stay batched while the pipe keeps trickling."""
        now = self._loop.time()
        moved = self._move()
        last, self._last_read = self._last_read, now
        rate = self._fill_rate(moved, now - last)
        if rate is not None and rate * interval < 1.0:
            return rate
        if self.fd is not None:
            # Gone quiet (latency 0 again), or so fast that it could fill the
            # pipe before the next tick: its writer must not wait on us.
            self._loop.add_reader(self.fd, self._readable)
        return None

    def _fill_rate(self, moved: int, elapsed: float) -> float | None:
        """How fast the pipe fills, in halves of what one read takes per second
        (None when nothing came, or it is closed). Batching needs less than
        one such half per tick: reads get bigger and the writer never blocks."""
        if moved <= 0 or self.fd is None or self._capacity <= 0:
            return None  # (capacity 0: not a pipe, never batched)
        return moved / max(elapsed, 1e-6) / (min(self._capacity, READ_SIZE) // 2)

    @property
    def batched(self) -> bool:
        return self._batch is not None and self in self._batch

    def _move(self) -> int:
        """Move what the pipe holds to the channel once: the bytes moved (0 when
        it was empty, or at EOF, which closes the reader)."""
        fd = self.fd
        if fd is None:
            return 0
        try:
            moved = self._channel.splice_from(fd)
            if moved:
                if moved >= self._pipe_size > 0:
                    self._grow(fd)
                return moved
            data = os.read(fd, READ_SIZE) if moved is None else b""
        except BlockingIOError:
            return 0
        except OSError:
            data = b""
        if data:
            if len(data) >= self._pipe_size > 0:
                self._grow(fd)
            self._channel.feed(data)
            return len(data)
        self.close()
        if self._on_eof is not None:
            self._on_eof()
        return 0

    def _grow(self, fd: int) -> None:
        """The pipe was full when we woke: give this hot channel the big pipe (once)."""
        self._pipe_size = 0
        with contextlib.suppress(OSError):  # EBUSY, EPERM: keep the pipe it has
            self._capacity = fcntl.fcntl(fd, F_SETPIPE_SZ, HOT_PIPE_SIZE)

    @property
    def pipe_size(self) -> int:
        """The pipe's buffer size as the kernel has it now (0 when not a pipe)."""
        if self.fd is None:
            return 0
        try:
            return fcntl.fcntl(self.fd, F_GETPIPE_SZ)
        except OSError:
            return 0

    def drain(self) -> None:
        """Read whatever is buffered right now (called when the child is reaped)."""
        while self.fd is not None:
            try:
                moved = self._channel.splice_from(self.fd)
                if moved:
                    continue
                data = os.read(self.fd, READ_SIZE) if moved is None else b""
            except (BlockingIOError, OSError):
                return
            if not data:
                self.close()
                return
            self._channel.feed(data)

    def close(self) -> None:
        if self.fd is not None:
            if self.batched:
                assert self._batch is not None
                self._batch.leave(self)
            else:
                self._loop.remove_reader(self.fd)
            os.close(self.fd)
            self.fd = None
            self._channel.reader_closed()


# What a child that does not read its stdin can make the daemon hold for it:
# sendProcessStdin beyond this is refused instead of growing the daemon's memory.
MAX_STDIN_PENDING = 1024 * 1024


class StdinFull(Exception):
    """The child's stdin pipe and our buffer for it are full."""


class StdinWriter:
    """Non-blocking writes to a child's stdin, buffered when the pipe is full
    (at most ``MAX_STDIN_PENDING`` bytes: a child that never reads must not
    let its callers grow the daemon without bound)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, fd: int) -> None:
        self._loop = loop
        self.fd: int | None = fd
        self._pending = bytearray()
        self.broken = False

    def write(self, data: bytes) -> None:
        if self.fd is None or self.broken:
            raise BrokenPipeError(errno.EPIPE, "stdin closed")
        if self._pending:
            if len(self._pending) + len(data) > MAX_STDIN_PENDING:
                raise StdinFull(len(self._pending))
            self._pending += data
            return
        try:
            written = os.write(self.fd, data)
        except BlockingIOError:
            written = 0
        except BrokenPipeError:
            self.broken = True
            raise
        if written < len(data):
            if len(data) - written > MAX_STDIN_PENDING:
                # Refuse the whole call; what the pipe took already is the
                # child's (a pipe cannot take bytes back), as with a short write.
                raise StdinFull(len(data) - written)
            self._pending += data[written:]
            self._loop.add_writer(self.fd, self._flush)

    def _flush(self) -> None:
        if self.fd is None:
            return
        try:
            written = os.write(self.fd, self._pending)
        except BlockingIOError:
            return
        except OSError:
            self.broken = True
            self._pending.clear()
            written = 0
        del self._pending[:written]
        if not self._pending:
            self._loop.remove_writer(self.fd)

    def close(self) -> None:
        if self.fd is not None:
            if self._pending:
                self._loop.remove_writer(self.fd)
            os.close(self.fd)
            self.fd = None
