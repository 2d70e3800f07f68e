"""Start-up's autostart of many programs starts each child inside its own cgroup.

After a quiet spell minderd hands a child's move into its cgroup leaf to a
mover thread, so that the spawn does not wait for the kernel's grace period;
the child runs in minderd's own cgroup until the thread has moved it. For a
start-up burst of ``INLINE_BURST_SPAWNS`` programs or more, every child is
placed in line instead, the first one too (engine/cgroups.py, ``burst``).
Here each program's first act is to print its own cgroup: with the thread,
the first children printed minderd's cgroup, before their move; now every
one prints its leaf. A real minderd, real children, the real cgroup v2 tree.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from minder.engine.cgroups import INLINE_BURST_SPAWNS
from tests.support.cgroups import assert_cgroups_removed, cgroup_root
from tests.support.daemons import run_daemon, wait_for

pytestmark = pytest.mark.skipif(
    cgroup_root() is None, reason="no writable cgroup v2 here (needs root)"
)

PROGRAMS = INLINE_BURST_SPAWNS + 20


def test_every_child_of_a_start_up_burst_starts_in_its_own_leaf(tmp_path: Path) -> None:
    body = "".join(
        f"[program:c{i:03d}]\ncommand=/bin/cat /proc/self/cgroup\nstartsecs=0\n"
        f"autorestart=false\nstdout_logfile={tmp_path}/c{i:03d}.out\n"
        for i in range(PROGRAMS)
    )
    with run_daemon(tmp_path, body, daemon_keys="containment=cgroup") as d, d.rpc() as proxy:

        def all_exited() -> bool:
            infos = proxy.supervisor.getAllProcessInfo()
            return len(infos) == PROGRAMS and all(i["statename"] == "EXITED" for i in infos)

        wait_for(all_exited, timeout=60, what=f"{PROGRAMS} cats to run and exit")
        log = d.main_log()
    assert "containment: cgroup" in log
    outside = []
    for i in range(PROGRAMS):
        text = (tmp_path / f"c{i:03d}.out").read_text()
        v2 = [line for line in text.splitlines() if line.startswith("0::")]
        assert v2, (i, text)
        if not v2[0].endswith(f"/p:c{i:03d}"):
            outside.append((i, v2[0]))
    assert not outside, f"children that started outside their leaf: {outside[:5]}"
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())
