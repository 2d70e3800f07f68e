"""Test support: the cgroups minderd creates, found and removed after each test.

A test that fails half-way (a daemon SIGKILLed by its cleanup) must still
leave no ``minder-*`` cgroup behind; a test that passes asserts there was none.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator

import pytest

from minder.engine.cgroups import cgroup2_mount, own_cgroup, remove_tree


def cgroup_root() -> str | None:
    """Our own cgroup v2 directory where we may create children (as root), else None."""
    found, own = cgroup2_mount(), own_cgroup()
    if found is None or own is None or os.geteuid() != 0:
        return None
    mount, _ = found
    root = os.path.normpath(mount + "/" + own.lstrip("/"))
    return root if os.access(root, os.W_OK) else None


def minder_cgroups() -> set[str]:
    root = cgroup_root()
    if root is None:
        return set()
    return {os.path.join(root, e) for e in os.listdir(root) if e.startswith("minder-")}


@pytest.fixture(autouse=True)
def no_leftover_cgroups() -> Iterator[None]:
    before = minder_cgroups()
    yield
    left = minder_cgroups() - before
    for path in left:
        remove_tree(path, time.monotonic() + 5)
    assert not left, f"test left cgroups behind: {sorted(left)}"
