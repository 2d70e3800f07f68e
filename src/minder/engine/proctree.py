"""Reading the process tree from /proc: parents, start times, environments.

Why /proc and not psutil: these run on the engine's hot paths (a stop, an
exit, a spawn's state record) and need only one or two fields; reading
``/proc/<pid>/stat`` directly is a single small read. Every function
tolerates processes vanishing between listing and reading.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

# /proc/<pid>/stat is one line of 52 fields after a name of at most 16 bytes
# (64 for a kernel thread's): well under this, so one read gets all of it.
STAT_READ_SIZE = 4096


def stat_fields(pid: int) -> list[bytes] | None:
    """The fields of /proc/<pid>/stat after the command name, or None if gone.

    Index 0 is the state, 1 the ppid, 19 the start time in clock ticks.
    """
    try:
        fd = os.open(f"/proc/{pid}/stat", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return None
    try:  # bare os calls: a file object costs ~50 % more (a spawn's journal line reads this)
        return os.read(fd, STAT_READ_SIZE).rsplit(b")", 1)[1].split()
    except (OSError, IndexError):
        return None
    finally:
        os.close(fd)


def start_time(pid: int) -> int | None:
    """The kernel's start time of ``pid`` (clock ticks since boot): pid + this is unique."""
    fields = stat_fields(pid)
    return int(fields[19]) if fields is not None else None


def descends_from(pid: int, ancestor: int, max_depth: int = 64) -> bool:
    """Is ``ancestor`` on ``pid``'s parent chain (the chain a subreaper keeps intact)?"""
    for _ in range(max_depth):
        fields = stat_fields(pid)
        if fields is None or len(fields) < 2:
            return False
        pid = int(fields[1])
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


def is_alive(pid: int) -> bool:
    fields = stat_fields(pid)
    return fields is not None and fields[0] != b"Z"


def children_map() -> dict[int, list[int]]:
    """ppid -> live child pids, for every process we can see."""
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        fields = stat_fields(int(entry))
        if fields is None or fields[0] == b"Z":
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def descendants(roots: Iterable[int], tree: dict[int, list[int]] | None = None) -> list[int]:
    """Every live descendant of ``roots`` (not the roots themselves)."""
    tree = children_map() if tree is None else tree
    found: list[int] = []
    stack = list(roots)
    while stack:
        for child in tree.get(stack.pop(), ()):
            found.append(child)
            stack.append(child)
    return found


def environ_value(pid: int, names: tuple[bytes, ...]) -> tuple[bytes | None, ...]:
    """The values of ``names`` in ``pid``'s environment (None where absent or unreadable)."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as f:
            data = f.read()
    except OSError:
        return tuple(None for _ in names)
    values: dict[bytes, bytes] = {}
    for item in data.split(b"\0"):
        key, sep, value = item.partition(b"=")
        if sep and key in names:
            values[key] = value
    return tuple(values.get(name) for name in names)
