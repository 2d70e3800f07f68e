"""Follow the daemon's main log and time events from its own timestamps.

Polling getAllProcessInfo to see when N programs are RUNNING loads the
daemon being measured: supervisord needs seconds per call with 1,000
programs, so the poll would become the benchmark. Both daemons write the
same supervisord log lines (``spawned: 'x' with pid N``, ``success: x
entered RUNNING state``, ``stopped: x``) with millisecond timestamps, so we
read the file (which costs the daemon nothing) and take each event's time
from its line, not from when we happened to look. A final RPC call then
confirms what the log said.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bench.linetail import LineTail

MARKERS = {
    "spawned": b" spawned: '",
    "running": b" entered RUNNING state",
    "stopped": b" stopped: ",
    "exited": b" exited: ",
}


def _stamp(line: bytes) -> float | None:
    """Epoch seconds of a ``YYYY-mm-dd HH:MM:SS,mmm LEVEL ...`` line."""
    try:
        text = line[:23].decode()
        when = dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f")
    except (UnicodeDecodeError, ValueError):
        return None
    return when.timestamp()  # local time, like the daemons write it


class MainLog:
    """Incremental reader that keeps the timestamps of each kind of event."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._tail = LineTail(path)
        self.events: dict[str, list[float]] = {kind: [] for kind in MARKERS}

    def poll(self) -> None:
        lines = self._tail.read_lines()
        for line in lines:
            for kind, marker in MARKERS.items():
                if marker in line:
                    ts = _stamp(line)
                    if ts is not None:
                        self.events[kind].append(ts)
                    break

    def count(self, kind: str) -> int:
        return len(self.events[kind])

    def nth(self, kind: str, n: int) -> float:
        """Timestamp of the n-th (1-based) event of ``kind``, in log order."""
        return sorted(self.events[kind])[n - 1]
