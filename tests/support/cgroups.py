"""Test support: the cgroups minderd creates, checked and removed after each test.

Other daemons may run on the machine at the same time, so a test does not
compare the whole cgroup tree before and after: it reads the subtrees its own
daemons announced in their main log (``containment: cgroup: <path>``),
removes any that is left (so a failed test leaks nothing) and fails if one was.
"""

from __future__ import annotations

import os
import re
import time

from minder.engine.cgroupfs import cgroup2_mount, own_cgroup, remove_tree

_ANNOUNCED = re.compile(r"containment: cgroup: (\S+)")


def cgroup_root() -> str | None:
    """Our own cgroup v2 directory where we may create children (as root), else None."""
    found, own = cgroup2_mount(), own_cgroup()
    if found is None or own is None or os.geteuid() != 0:
        return None
    mount, _ = found
    root = os.path.normpath(mount + "/" + own.lstrip("/"))
    return root if os.access(root, os.W_OK) else None


def assert_cgroups_removed(*logs: str) -> None:
    """Every subtree announced in ``logs`` is gone (removing it first if not)."""
    left = sorted({p for text in logs for p in _ANNOUNCED.findall(text) if os.path.isdir(p)})
    for path in left:
        remove_tree(path, time.monotonic() + 5)
    assert not left, f"cgroups left behind: {left}"
