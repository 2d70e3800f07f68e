"""What containment asks of the kernel for each child, beside its spawn.

The issue's start floor is N bare ``posix_spawn`` + ``waitpid`` of /bin/true.
As root where cgroup v2 is writable, minderd's default (``containment``)
gives every child a leaf cgroup of its own that it is born in. minderd makes
the leaf, moves itself in, spawns, and moves back (engine/cgroups.py). No
peer does this. ``CLONE_INTO_CGROUP`` would spare the two moves, but on this
kernel the flag alone costs as much as they do or more (``python -m
bench.cgroup_spawn``; docs/performance.md, *sixth pass*).

``bench.start_floor``'s ``*_contained`` kinds run its floors' loops with
this work added. So minderd's start can also be held to the least that
containment costs on the machine, not only to the bare loop. The AUTO log
files of the fleet config are not part of it: minderd makes them after its
start-up burst, once every child is started (engine/logs/autonames.py).

The code is one text (``CODE``), so the floor loop in the bench's own
process and the asyncio script in its own process run the same lines.
"""

from __future__ import annotations

import os
import time
from typing import Any

from minder.engine.cgroupfs import remove_tree
from minder.engine.cgroups import CgroupContainment, CgroupUnavailable

CODE = r'''
import os

class BornInLeaf:
    """Each child in a new leaf of ``subtree``: this process moves in, spawns, moves back."""

    def __init__(self, subtree):
        self.subtree = subtree  # "" where minderd would not contain either: no work
        self.me = str(os.getpid()).encode()
        self.home = -1
        if subtree:
            os.mkdir(subtree)
            parent = os.path.dirname(subtree)
            self.home = os.open(parent + "/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)

    def enter(self, i):
        """Before spawn ``i``: its leaf made, with this process in it."""
        if self.home >= 0:
            leaf = f"{self.subtree}/p{i}"
            os.mkdir(leaf)
            fd = os.open(leaf + "/cgroup.procs", os.O_WRONLY | os.O_CLOEXEC)
            try:
                os.write(fd, self.me)
            finally:
                os.close(fd)

    def leave(self):
        """After the spawn: this process back in its own cgroup."""
        if self.home >= 0:
            os.write(self.home, self.me)
'''


def born_in_leaf_class() -> Any:
    """``CODE``'s ``BornInLeaf``, for a loop in this process."""
    namespace: dict[str, Any] = {}
    exec(CODE, namespace)  # the module's own text, nothing from outside
    return namespace["BornInLeaf"]


def leaf_parent(workdir: str) -> str:
    """Where a ``*_contained`` kind makes its leaves; "" where minderd would not contain.

    Beside minderd's own subtree, in this process's cgroup (minderd, started
    by the bench, lives there too), and named for the workdir so that
    ``remove_leaves`` finds a run's leftovers.
    """
    try:
        home = CgroupContainment.home()
    except CgroupUnavailable:
        return ""
    return os.path.join(home, "bench-floor-" + os.path.basename(workdir.rstrip("/")))


def remove_leaves(subtree: str) -> None:
    """Kill what is left in a kind's leaves and remove them: nothing is left behind."""
    if subtree and not remove_tree(subtree, time.monotonic() + 5.0):
        raise RuntimeError(f"{subtree}: could not be removed")
