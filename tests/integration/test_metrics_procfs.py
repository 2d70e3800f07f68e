"""The engine samples its children from /proc for /metrics: the numbers psutil reads.

A real child of this test (a busy loop, then a zombie) is read both ways.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable

import psutil
import pytest

from minder.engine import usage as metrics

pytestmark = pytest.mark.skipif(not metrics.PROCFS, reason="no /proc on this system")


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_proc_usage_matches_psutil() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", "import time\nt = time.time() + 30\nwhile time.time() < t: pass"]
    )
    try:
        wait_for(lambda: psutil.Process(child.pid).cpu_times().user > 0.2, "some CPU time")
        ours = metrics.read_proc_usage(child.pid)
        theirs = metrics.read_psutil_usage(child.pid)
        assert ours is not None and theirs is not None
        assert ours.start_time == pytest.approx(theirs.start_time, abs=0.05)
        assert ours.cpu_seconds == pytest.approx(theirs.cpu_seconds, abs=0.5)
        assert ours.rss_bytes == pytest.approx(theirs.rss_bytes, rel=0.2)
        assert ours.open_fds == theirs.open_fds
    finally:
        child.kill()
        child.wait()


def test_a_zombie_or_a_gone_pid_has_no_usage() -> None:
    child = subprocess.Popen(["true"])
    try:
        wait_for(lambda: psutil.Process(child.pid).status() == psutil.STATUS_ZOMBIE, "a zombie")
        assert metrics.read_proc_usage(child.pid) is None
    finally:
        child.wait()
    assert metrics.read_proc_usage(child.pid) is None  # reaped: gone
    assert metrics.read_proc_usage(os.getpid()) is not None
