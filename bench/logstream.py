"""The deterministic byte stream the log writers emit, and its checker.

The stream is written once into a file (``write_file``) before the timed
window, and each writer child (bench/children/sendfile.py) splices that file
to its stdout. Regenerating the stream lets the log scenarios verify the
captured files byte for byte: with no rotation the file must equal the
whole stream; with rotation the kept files, oldest first, must equal its
tail.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

LINE = 100
PER_BLOCK = 10_000
BLOCK = LINE * PER_BLOCK
_TEMPLATE: bytes | None = None


def _template() -> bytes:
    global _TEMPLATE
    if _TEMPLATE is None:
        pad = b"x" * (LINE - 8 - 1 - 4 - 1 - 1)
        _TEMPLATE = b"".join(b"BBBBBBBB %04d %s\n" % (i, pad) for i in range(PER_BLOCK))
    return _TEMPLATE


def block(index: int) -> bytes:
    return _template().replace(b"BBBBBBBB", b"%08d" % index)


def chunks(offset: int, total: int) -> Iterator[bytes]:
    """The stream's bytes [offset, total), one block at a time."""
    pos = offset
    while pos < total:
        idx, start = divmod(pos, BLOCK)
        data = block(idx)[start : min(BLOCK, total - idx * BLOCK)]
        yield data
        pos += len(data)


def write_file(path: Path, total: int) -> Path:
    """Write the stream's first ``total`` bytes to ``path``, flushed to disk.

    fsync keeps the write-back of these pages out of the timed window that
    follows; they stay in the page cache, so the writers read no disk.
    """
    with open(path, "wb") as f:
        for data in chunks(0, total):
            f.write(data)
        f.flush()
        os.fsync(f.fileno())
    return path


# How the memory that a log will fill is prepared before the timed window:
# "cold" (default), "warm", or "asis" (no preparation, the bench before 2026-11-29).
MEMORY = os.environ.get("BENCH_LOG_MEMORY", "cold")
SETTLE_S = 4.0
SMALL = 64 * 1024 * 1024


def prepare_memory(scratch: Path, total: int, mode: str = MEMORY) -> None:
    """Put the free memory a log will fill in the same state for every daemon.

    The cost of a log is the copy into the page cache, and on this VM that
    copy costs 5-10x more into a page the guest has given back to the host
    (free page reporting, about 2 s after the page was freed) than into one
    freed just now: 1.2 vs 0.22 s of CPU per GiB for a bare splice loop.
    The previous run has just freed its logs and stream (rmtree), so without
    preparation the figure depends on how long set-up and the daemon's own
    start-up took, which differs between daemons.

    "cold" waits until freed memory has been given back, the state a
    long-running server here is in; "warm" writes and deletes ``total``
    bytes just before the window, so the log fills recycled pages, as it
    always would on bare metal. Small streams (smoke runs) are not worth
    the wait: their logs cost milliseconds either way.
    """
    if total < SMALL:
        return
    if mode == "cold":
        time.sleep(SETTLE_S)  # no event says "reported"; 2 s is the kernel's delay
    elif mode == "warm":
        block = b"w" * (1 << 20)
        fd = os.open(scratch, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            for _ in range(total // len(block) + 64):
                os.write(fd, block)
        finally:
            os.close(fd)
            os.unlink(scratch)


def last_line(total: int) -> bytes:
    """The final line of a ``total``-byte stream (total is a multiple of LINE)."""
    end = total
    idx, start = divmod(end - LINE, BLOCK)
    return block(idx)[start : start + LINE]


def kept_files(current: Path) -> list[Path]:
    """The log file and its rotated backups, oldest first."""
    backups = []
    n = 1
    while (p := current.with_name(f"{current.name}.{n}")).exists():
        backups.append(p)
        n += 1
    return [*reversed(backups), current] if current.exists() else list(reversed(backups))


class _Concat:
    """Read several files as one byte stream, in pieces of the size asked for."""

    def __init__(self, files: list[Path]) -> None:
        self._files = list(files)
        self._fh = None if not self._files else open(self._files.pop(0), "rb")  # noqa: SIM115

    def read(self, n: int) -> bytes:
        parts: list[bytes] = []
        while n > 0 and self._fh is not None:
            data = self._fh.read(n)
            if data:
                parts.append(data)
                n -= len(data)
                continue
            self._fh.close()
            self._fh = open(self._files.pop(0), "rb") if self._files else None  # noqa: SIM115
        return b"".join(parts)

    def close(self) -> None:
        if self._fh is not None:
            self._fh.close()


def lost_bytes(current: Path, total: int, *, rotated: bool) -> int:
    """Bytes of the stream missing from, or wrong in, the kept log files.

    The kept files, oldest first, must equal the tail of the stream; with
    no rotation that tail must be the whole stream. Returns 0 when they do,
    else how many bytes are missing or differ (duplicates count as damage).
    """
    return lost_files(kept_files(current), total, rotated=rotated)


def lost_files(files: list[Path], total: int, *, rotated: bool = True) -> int:
    """``lost_bytes`` for an explicit list of kept files, oldest first.

    With ``rotated`` (the default), a correct tail of the stream counts as
    nothing lost: the peers keep what their default rotation keeps.
    """
    size = sum(p.stat().st_size for p in files)
    if size > total:
        return size - total
    missing = 0 if rotated else total - size
    reader = _Concat(files)
    try:
        for want in chunks(total - size, total):
            got = reader.read(len(want))
            if got != want:
                return missing + size  # wrong content: nothing kept can be trusted
    finally:
        reader.close()
    return missing
