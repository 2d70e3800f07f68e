"""readLog / readProcess*Log and tailProcess*Log: supervisord's offset rules, bounded.

The arithmetic lives in two pure functions (``read_window``, ``tail_window``)
so the rules can be tested without files; the file functions only apply them
with ``os.pread``. supervisord reads whatever range is asked for, whole, into
memory; a multi-GB log would take the daemon down. Here one reply is capped
(``DEFAULT_MAX_REPLY``):

* ``read_range`` raises FAILED with an explanation when the range asked for
  is larger than the cap (read it in pieces with offset/length instead);
* ``tail`` treats a length above the cap as the cap — the overflow flag then
  tells the client, truthfully, that it did not get everything.

``read_slice`` is the log viewer's read (JSON API, web UI): by offset,
cut on UTF-8 character boundaries so a character split across two reads is
never garbled; a file that shrank (cleared or rotated) restarts at 0 and
says so.

These read regular files (pread, page cache) and block; the engine runs
them in a thread (engine/logs/access.py), never on the event loop. A FIFO
or device log is opened without blocking and reads as empty.
"""

from __future__ import annotations

import os

from minder.engine.api import MAX_LOG_REPLY, MAX_LOG_SLICE, LogSlice
from minder.engine.logs.follow import LogFollower, follow
from minder.engine.logs.safeopen import open_for_reading
from minder.protocol.faults import Faults, SupervisorFault

__all__ = [
    "DEFAULT_MAX_REPLY",
    "LogFollower",
    "follow",
    "read_range",
    "read_slice",
    "read_window",
    "tail",
    "tail_window",
]

DEFAULT_MAX_REPLY = MAX_LOG_REPLY


def read_window(size: int, offset: int, length: int) -> tuple[int, int]:
    """(start, count) that readLog returns from a file of ``size`` bytes.

    offset < 0 with length 0: the last |offset| bytes. offset < 0 with any
    length, or length < 0: BAD_ARGUMENTS. length 0: from offset to EOF.
    """
    if offset < 0:
        if length != 0:
            raise SupervisorFault(Faults.BAD_ARGUMENTS)
        start = max(0, size + offset)
        return start, size - start
    if length < 0:
        raise SupervisorFault(Faults.BAD_ARGUMENTS)
    available = max(0, size - offset)
    return offset, available if length == 0 else min(length, available)


def tail_window(size: int, offset: int, length: int) -> tuple[int, int, bool]:
    """(start, count, overflow) of tailProcessLog for a file of ``size`` bytes.

    When more than ``length`` bytes follow ``offset`` the client has fallen
    behind: overflow is set and the last ``length`` bytes are returned.
    Otherwise (supervisord's quirk, kept) the last ``length`` bytes are
    returned too, even from before ``offset``.
    """
    overflow = size > offset + length
    if overflow:
        offset = size - 1
    if offset + length > size:
        if offset > size - 1:
            length = 0
        offset = size - length
    offset = max(offset, 0)
    length = max(length, 0)
    return offset, min(length, max(0, size - offset)), overflow


def read_range(
    path: str | None, offset: int, length: int, *, max_bytes: int = DEFAULT_MAX_REPLY
) -> bytes:
    """readLog semantics on ``path``: NO_FILE when absent, FAILED on I/O errors."""
    if path is None or not os.path.exists(path):
        raise SupervisorFault(Faults.NO_FILE, path)
    try:
        fd = open_for_reading(path)
    except OSError as exc:
        raise SupervisorFault(Faults.FAILED, f"{path}: {exc.strerror}") from exc
    try:
        start, count = read_window(os.fstat(fd).st_size, offset, length)
        if count > max_bytes:
            raise SupervisorFault(
                Faults.FAILED,
                f"{count} bytes asked for from {path}; one read returns at most "
                f"{max_bytes} bytes, read it in pieces with offset and length",
            )
        return _pread_exactly(fd, start, count)
    except OSError as exc:
        raise SupervisorFault(Faults.FAILED, f"{path}: {exc.strerror}") from exc
    finally:
        os.close(fd)


def tail(
    path: str | None, offset: int, length: int, *, max_bytes: int = DEFAULT_MAX_REPLY
) -> tuple[bytes, int, bool]:
    """tailProcessLog semantics: (data, new offset = file size, overflow).

    A missing file is ``(b'', 0, False)`` and an I/O error ``(b'', offset,
    False)``, never a fault, like supervisord.
    """
    if path is None:
        return b"", 0, False
    try:
        fd = open_for_reading(path)
    except FileNotFoundError:
        return b"", 0, False
    except OSError:
        return b"", offset, False
    try:
        size = os.fstat(fd).st_size
        start, count, overflow = tail_window(size, offset, min(length, max_bytes))
        return _pread_exactly(fd, start, count), size, overflow
    except OSError:
        return b"", offset, False
    finally:
        os.close(fd)


def _pread_exactly(fd: int, start: int, count: int) -> bytes:
    """Read up to ``count`` bytes at ``start``; stops early only at EOF."""
    if count <= 0:
        return b""
    first = os.pread(fd, count, start)
    if len(first) == count or not first:
        return first
    parts = [first]
    got = len(first)
    while got < count:
        more = os.pread(fd, count - got, start + got)
        if not more:
            break
        parts.append(more)
        got += len(more)
    return b"".join(parts)


def read_slice(path: str, offset: int | None, length: int) -> LogSlice:
    """Bytes of ``path`` from ``offset`` (None: the last ``length`` bytes).

    A character that straddles the ``length`` limit is included whole; a
    partial character at the very end of the file is left for the next read
    (its writer has not finished it yet).
    """
    length = max(1, min(length, MAX_LOG_SLICE))
    fd = open_for_reading(path)
    try:
        size = os.fstat(fd).st_size
        reset = False
        if offset is None or offset < 0:
            start = max(0, size - length)
        elif offset > size:
            start, reset = 0, True
        else:
            start = offset
        data = _pread_exactly(fd, start, min(length + 3, max(0, size - start)))
    finally:
        os.close(fd)
    lead = _leading_continuations(data) if (offset is None or offset < 0) and start > 0 else 0
    if len(data) > length:
        end = length
        while end < len(data) and data[end] & 0xC0 == 0x80:
            end += 1
    else:
        end = len(data) - _incomplete_tail(data)
    end = max(end, lead)
    more = len(data) > length and start + end < size
    return LogSlice(data[lead:end], start + lead, start + end, size, reset, more)


def _leading_continuations(data: bytes) -> int:
    """Bytes at the start that continue a character cut off before them."""
    n = 0
    while n < min(3, len(data)) and data[n] & 0xC0 == 0x80:
        n += 1
    return n


def _incomplete_tail(data: bytes) -> int:
    """Length of a UTF-8 sequence at the end that is not complete yet."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:  # continuation: keep looking for the lead byte
            continue
        if byte & 0x80 == 0:
            return 0
        need = 2 if byte & 0xE0 == 0xC0 else 3 if byte & 0xF0 == 0xE0 else 4
        return back if back < need else 0
    return 0
