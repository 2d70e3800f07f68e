"""Start-up's cgroup leaves, made by a helper process while minderd makes its groups.

With cgroup containment every child is born in a leaf of its own
(engine/cgroups.py), and a leaf is a ``mkdir`` in cgroupfs: ~30 us each made
back to back, but ~55 us each when made one before each spawn of a burst,
among the children exec'ing. For a start of 500 programs that is ~27 ms of
the burst (docs/performance.md, *sixth pass*). Made up front by minderd
itself, they would cost ~15 ms before the first spawn instead.

Before its first spawn minderd runs on one CPU and the others are idle, so
start-up hands the burst's leaves to ``mkdir`` (the coreutils program,
spawned like a child, with no environment and its output discarded) as soon
as the cgroup subtree exists, and collects it right before the first spawn.
Nothing depends on it: a leaf it did not make (it failed, it is missing
from the machine, it was killed) is made at its spawn, as without it, and a
leaf it made is only ever taken for made when it exited 0.
"""

from __future__ import annotations

import contextlib
import os
import signal

# Absolute paths only: never a PATH lookup in a privileged daemon.
MKDIR_PROGRAMS = ("/bin/mkdir", "/usr/bin/mkdir")
# Bytes of paths per helper: well under the kernel's limit on argv (ARG_MAX is
# at least 128 KiB, and a quarter of the stack limit on Linux).
ARGV_BYTES = 96 * 1024


class LeafMaker:
    """``mkdir`` of ``paths`` in helper processes; ``made()`` waits and says which exist."""

    def __init__(self, paths: list[str]) -> None:
        self._batches: list[tuple[int, list[str]]] = []
        program = next((p for p in MKDIR_PROGRAMS if os.access(p, os.X_OK)), None)
        if program is not None and paths:
            for batch in _batches(paths):
                pid = _spawn(program, batch)
                if pid is None:
                    break
                self._batches.append((pid, batch))

    def pids(self) -> list[int]:
        """The helpers not collected yet (``made``/``abandon`` reap them)."""
        return [pid for pid, _ in self._batches]

    def made(self) -> list[str]:
        """Wait for the helpers: the paths of every helper that exited 0."""
        done: list[str] = []
        for pid, batch in self._batches:
            try:
                _, status = os.waitpid(pid, 0)
            except ChildProcessError:  # reaped by someone else: its status is unknown
                continue
            if os.waitstatus_to_exitcode(status) == 0:
                done += batch
        self._batches = []
        return done

    def abandon(self) -> None:
        """Stop and reap any helper still running (the subtree is being removed)."""
        for pid, _ in self._batches:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
        self._batches = []


def _batches(paths: list[str]) -> list[list[str]]:
    batches: list[list[str]] = [[]]
    size = 0
    for path in paths:
        if batches[-1] and size + len(path) + 1 > ARGV_BYTES:
            batches.append([])
            size = 0
        batches[-1].append(path)
        size += len(path) + 1
    return batches


def _spawn(program: str, paths: list[str]) -> int | None:
    """The helper's pid, or None if it cannot be started (the leaves are made at spawn)."""
    try:
        return os.posix_spawn(
            program,
            [program, "--", *paths],
            {},
            file_actions=[(os.POSIX_SPAWN_OPEN, fd, os.devnull, os.O_RDWR, 0) for fd in (0, 1, 2)],
        )
    except OSError:
        return None
