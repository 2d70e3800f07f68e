"""Follow a growing log file for ``/logtail`` and ``/mainlogtail`` (``tail -f``).

supervisord's producer re-reads the file every 0.1 s for every open tail.
Here a follower sleeps until the writer says something was appended (the
``subscribe`` hook: RotatingFile.add_watcher, MainLog.add_listener), and only
falls back to a slow poll to notice changes made by someone else (an external
logrotate, another process writing the file). Like supervisord, it starts
with the last ``from_bytes`` bytes, switches to the new file when the path's
inode changes (rotation; the old file is drained first), and on truncation
sends ``==> File truncated <==\\n`` and starts again from the top.

``follow()`` opens the file before returning, so a missing file raises
FileNotFoundError synchronously and the HTTP layer can answer 404 before it
starts a streamed response.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import stat
from collections.abc import Callable

from minder.engine.logs.safeopen import open_for_reading

TRUNCATED_NOTICE = b"==> File truncated <==\n"

# subscribe(wake) registers a zero-argument callback and returns its remover.
Subscribe = Callable[[Callable[[], None]], Callable[[], None]]


class LogFollower:
    """Async iterator of new bytes of one log path; ``close()`` releases it."""

    def __init__(
        self,
        path: str,
        from_bytes: int,
        subscribe: Subscribe | None,
        poll_interval: float,
        chunk_size: int,
    ) -> None:
        self._path = path
        self._chunk_size = chunk_size
        self._fd = open_for_reading(path)
        info = os.fstat(self._fd)
        self._regular = stat.S_ISREG(info.st_mode)  # a FIFO or device: nothing to follow
        size = info.st_size
        self._pos = max(0, size - max(0, from_bytes))
        self._wake = asyncio.Event()
        self._unsubscribe = subscribe(self._wake.set) if subscribe is not None else None
        self._interval = poll_interval

    def __aiter__(self) -> LogFollower:
        return self

    async def __anext__(self) -> bytes:
        while True:
            if self._fd < 0:
                raise StopAsyncIteration
            self._wake.clear()
            data = self._read_some()
            if data:
                return data
            notice = self._check_replaced_or_truncated()
            if notice is not None:
                if notice:
                    return notice
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._interval)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            os.close(fd)

    async def aclose(self) -> None:
        self.close()

    def _read_some(self) -> bytes:
        if not self._regular:
            return b""
        data = os.pread(self._fd, self._chunk_size, self._pos)
        self._pos += len(data)
        return data

    def _check_replaced_or_truncated(self) -> bytes | None:
        """At EOF: b'' after switching to a rotated-in file, the notice, or None."""
        current = os.fstat(self._fd)
        try:
            on_disk = os.stat(self._path)
        except FileNotFoundError:
            on_disk = None  # mid-rotation: keep the old file until the new one appears
        if on_disk is not None and (on_disk.st_ino, on_disk.st_dev) != (
            current.st_ino,
            current.st_dev,
        ):
            try:
                fd = open_for_reading(self._path)
            except FileNotFoundError:
                return None
            os.close(self._fd)
            self._fd = fd
            self._regular = stat.S_ISREG(os.fstat(fd).st_mode)
            self._pos = 0
            return b""
        if current.st_size < self._pos:
            self._pos = 0
            return TRUNCATED_NOTICE
        return None


def follow(
    path: str,
    from_bytes: int = 1024,
    *,
    subscribe: Subscribe | None = None,
    poll_interval: float | None = None,
    chunk_size: int = 256 * 1024,
) -> LogFollower:
    """Start following ``path``; raises FileNotFoundError/OSError right away.

    With ``subscribe`` the follower wakes on each write and polls only once a
    second as a safety net; without it, it polls every 0.2 s.
    """
    interval = poll_interval if poll_interval is not None else (1.0 if subscribe else 0.2)
    return LogFollower(path, from_bytes, subscribe, interval, chunk_size)
