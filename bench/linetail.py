"""New complete lines of a growing file, read from where the last read stopped.

The bench follows files that a daemon writes (its main log, a child's log)
without asking the daemon anything: each ``read_lines`` opens the file,
reads what was appended since the previous call, and returns the lines
that are complete; a line still being written waits for the next call. A
file that does not exist yet reads as no lines.
"""

from __future__ import annotations

from pathlib import Path


class LineTail:
    """The complete lines appended to ``path`` since the last ``read_lines``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offset = 0
        self._partial = b""

    def read_lines(self) -> list[bytes]:
        try:
            with open(self.path, "rb") as f:
                f.seek(self.offset)
                data = f.read()
        except FileNotFoundError:
            return []
        if not data:
            return []
        self.offset += len(data)
        *lines, self._partial = (self._partial + data).split(b"\n")
        return lines
