"""A cgroup subtree removed under a running minderd is made again at the next spawn.

minderd creates its subtree at start and its leaves at each program's first
spawn, so until then the subtree is empty and anyone (an admin's cleanup, a
confused neighbour) can rmdir it. The next spawn's leaf ``mkdir`` then found
no parent: the error came after the child was already running, out of
``adopt``, so the child was orphaned outside minderd (and at start-up the
whole start aborted). Now the subtree is made again and the child placed in
its leaf. A real minderd, a real child, the real cgroup v2 tree.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.support.cgroups import assert_cgroups_removed, cgroup_root
from tests.support.daemons import run_daemon, wait_for

pytestmark = pytest.mark.skipif(
    cgroup_root() is None, reason="no writable cgroup v2 here (needs root)"
)


def test_a_subtree_removed_while_empty_is_made_again_at_the_next_spawn(tmp_path: Path) -> None:
    body = "[program:late]\ncommand=/bin/sleep 300\nautostart=false\nstartsecs=0\n"
    with run_daemon(tmp_path, body, daemon_keys="containment=cgroup") as d, d.rpc() as proxy:
        found = re.search(r"containment: cgroup: (\S+)", d.main_log())
        assert found, d.main_log()
        subtree = found.group(1)
        os.rmdir(subtree)  # empty: no program has run yet
        assert proxy.supervisor.startProcess("late", True)
        pid = proxy.supervisor.getProcessInfo("late")["pid"]
        where = Path(f"/proc/{pid}/cgroup").read_text()
        v2 = [line for line in where.splitlines() if line.startswith("0::")]

        def placed() -> bool:
            where = Path(f"/proc/{pid}/cgroup").read_text()
            return any(line.endswith("/p:late") for line in where.splitlines())

        wait_for(placed, timeout=10, what=f"pid {pid} in its leaf (it is in {v2})")
        assert os.path.isdir(subtree)
        assert proxy.supervisor.getState()["statename"] == "RUNNING"
        assert proxy.supervisor.stopProcess("late", True)
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())



def test_a_child_without_a_leaf_runs_and_the_main_log_says_it_is_not_contained(
    tmp_path: Path,
) -> None:
    """A subtree that refuses new leaves (``cgroup.max.descendants`` 0: the
    leaf's mkdir fails with EAGAIN) leaves the child running outside any
    leaf; the main log says so, where before only a counter knew."""
    body = "[program:late]\ncommand=/bin/sleep 300\nautostart=false\nstartsecs=0\n"
    with run_daemon(tmp_path, body, daemon_keys="containment=cgroup") as d, d.rpc() as proxy:
        found = re.search(r"containment: cgroup: (\S+)", d.main_log())
        assert found, d.main_log()
        (Path(found.group(1)) / "cgroup.max.descendants").write_text("0")
        assert proxy.supervisor.startProcess("late", True)
        wait_for(
            lambda: "late could not be placed in its cgroup" in d.main_log(),
            timeout=10,
            what="the placement failure in the main log",
        )
        assert proxy.supervisor.getProcessInfo("late")["statename"] == "RUNNING"
        assert proxy.supervisor.stopProcess("late", True)
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())
