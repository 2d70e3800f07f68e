"""Test support: whether child processes a test started were all reaped (no zombie left)."""

from __future__ import annotations

import os


def all_reaped(pids: list[int]) -> bool:
    """True once each pid is no longer a child of ours: reaped, by whoever reaped it.

    ``waitpid(pid, WNOHANG)`` raises ChildProcessError for a pid that is not
    (or no longer) our child; on a child that is still there, running or a
    zombie, it returns, and reaps a zombie in passing, so the test would have
    passed only by reaping it itself: that is reported as a leftover.
    """
    for pid in pids:
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            continue
        return False
    return True
