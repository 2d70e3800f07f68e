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
    files = kept_files(current)
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
