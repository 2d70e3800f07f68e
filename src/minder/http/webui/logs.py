"""Reading a log file by byte offset, for the log viewer and the JSON API.

The viewer keeps the file offset it has read up to and asks for what
follows, so nothing is lost or shown twice however the live stream behaves
(a dropped SSE event only delays a read). Slices are cut on UTF-8
character boundaries so a multi-byte character split across two reads is
never garbled; a file that shrank (cleared or rotated) restarts at 0 and
says so.
"""

from __future__ import annotations

import asyncio
import os
from dataclasses import dataclass
from typing import Any

from minder.engine.logs.safeopen import open_for_reading

DEFAULT_LENGTH = 64 * 1024
MAX_LENGTH = 1024 * 1024


@dataclass(frozen=True, slots=True)
class LogSlice:
    data: bytes
    start: int  # file offset of data[0]
    offset: int  # file offset just after the data: ask for this next
    size: int  # file size when read
    reset: bool  # the file shrank below the requested offset; read from 0
    more: bool = False  # the length limit cut the read short: ask again at once

    def to_json(self) -> dict[str, Any]:
        return {
            "data": self.data.decode("utf-8", "replace"),
            "start": self.start,
            "offset": self.offset,
            "size": self.size,
            "reset": self.reset,
            "more": self.more,
        }


def read_slice(path: str, offset: int | None, length: int = DEFAULT_LENGTH) -> LogSlice:
    """Bytes of ``path`` from ``offset`` (None: the last ``length`` bytes).

    A character that straddles the ``length`` limit is included whole; a
    partial character at the very end of the file is left for the next read
    (its writer has not finished it yet).
    """
    length = max(1, min(length, MAX_LENGTH))
    with os.fdopen(open_for_reading(path), "rb") as f:
        size = os.fstat(f.fileno()).st_size
        reset = False
        if offset is None or offset < 0:
            start = max(0, size - length)
        elif offset > size:
            start, reset = 0, True
        else:
            start = offset
        f.seek(start)
        data = f.read(min(length + 3, max(0, size - start)))
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


async def read_slice_async(path: str, offset: int | None, length: int) -> LogSlice:
    return await asyncio.to_thread(read_slice, path, offset, length)


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
