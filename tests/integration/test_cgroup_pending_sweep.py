"""Exits that arrive while the cgroup mover thread is still placing a burst.

A child the thread has not yet moved may fork first (a shell's ``cmd &``),
and that job starts in minderd's own cgroup: until the sweep after the move,
a stop must still find it. Each such exit used to scan minderd's whole
cgroup itself, on the event loop (~4 ms with ~90 processes in the cgroup:
a stop all right after a start all on a busy machine took seconds). Now the
exits wait for one sweep on the mover thread, queued behind the moves, and
share it. Real processes, a real cgroup v2 subtree, the real backend.
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from minder.engine.cgroups import CgroupContainment, CgroupUnavailable
from tests.support.cgroups import cgroup_root

PROGRAMS = 12

pytestmark = pytest.mark.skipif(
    cgroup_root() is None, reason="no writable cgroup v2 here (needs root)"
)


def _wait_for_files(paths: list[Path], timeout: float) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        texts = [p.read_text().strip() if p.exists() else "" for p in paths]
        if all(texts):
            return [int(t) for t in texts]
        time.sleep(0.01)
    raise AssertionError("the shells did not all write their job's pid")


def test_exits_during_a_pending_burst_share_the_mover_threads_sweep(tmp_path: Path) -> None:
    try:
        containment = CgroupContainment.create()
    except CgroupUnavailable as exc:
        pytest.skip(str(exc))
    shells: list[subprocess.Popen[bytes]] = []
    scans_here = 0
    loop_thread = threading.get_ident()
    real_scan = containment._escapees

    def counting_scan() -> list[tuple[int, str]]:
        nonlocal scans_here
        if threading.get_ident() == loop_thread:
            scans_here += 1
        return real_scan()

    containment._escapees = counting_scan  # type: ignore[method-assign]
    try:
        outs = [tmp_path / f"job{i}" for i in range(PROGRAMS)]
        for i, out in enumerate(outs):
            env = dict(os.environ, SUPERVISOR_GROUP_NAME=f"p{i}", SUPERVISOR_PROCESS_NAME=f"p{i}")
            shells.append(subprocess.Popen(
                ["/bin/sh", "-c", f"sleep 300 & echo $! > {out}; exec sleep 300"], env=env
            ))
        # Every shell has forked its job in our own cgroup before any move: escapees.
        jobs = _wait_for_files(outs, timeout=15)
        for i, shell in enumerate(shells):
            containment.adopt(f"p{i}", shell.pid)  # queued on the mover thread
        for i, shell in enumerate(shells):
            members = containment.members(f"p{i}", shell.pid)
            assert shell.pid in members and jobs[i] in members, (i, members)
        assert scans_here == 0, f"{scans_here} exits scanned minderd's cgroup on the loop"
        for i, job in enumerate(jobs):  # the sweep moved each job into its program's leaf
            with open(f"/proc/{job}/cgroup") as f:
                assert f"/p:p{i}\n" in f.read()
    finally:
        containment.close()
        for shell in shells:
            shell.wait(timeout=10)
