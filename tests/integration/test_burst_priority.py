"""A burst of spawns at real-time priority 1 (engine/burstpriority.py), on the real kernel.

Inside the burst minderd's thread is ``SCHED_FIFO``; every child spawned
there starts ``SCHED_OTHER`` at nice 0, as it would have without the burst;
afterwards minderd is ``SCHED_OTHER`` again. A minderd the user started at
another nice or policy is left alone, and so are its children; without the
privilege nothing changes. The last two start a real minderd with 60
programs (at start-up; through startAllProcesses) and read every child's
and the daemon's policy from the kernel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from minder.engine.burstpriority import PRIORITIZED_BURST_SPAWNS, prioritized_burst
from tests.support.daemons import run_daemon, wait_for

pytestmark = [
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux scheduling policies"),
    pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="not prioritized on one CPU"),
]


def _may_be_realtime() -> bool:
    """Whether this process may take SCHED_FIFO here (root, and a real-time budget)."""
    try:
        os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(1))
    except OSError:
        return False
    os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
    return True


needs_realtime = pytest.mark.skipif(
    not _may_be_realtime(), reason="no CAP_SYS_NICE or no real-time budget here"
)


def _policy_and_nice(pid: int) -> tuple[int, int]:
    return os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid)


def _spawn_sleeper() -> int:
    return os.posix_spawn("/bin/sleep", ["sleep", "30"], {})


def _end(pid: int) -> None:
    os.kill(pid, 9)
    os.waitpid(pid, 0)


@needs_realtime
def test_inside_the_burst_minderd_is_fifo_and_its_children_are_not() -> None:
    with prioritized_burst(PRIORITIZED_BURST_SPAWNS) as raised:
        assert raised
        assert os.sched_getscheduler(0) == os.SCHED_FIFO | os.SCHED_RESET_ON_FORK
        child = _spawn_sleeper()
        try:
            assert _policy_and_nice(child) == (os.SCHED_OTHER, 0)
        finally:
            _end(child)
    assert _policy_and_nice(0) == (os.SCHED_OTHER, 0)


@needs_realtime
def test_an_error_in_the_burst_still_restores_the_policy() -> None:
    with pytest.raises(RuntimeError), prioritized_burst(PRIORITIZED_BURST_SPAWNS):
        raise RuntimeError("a spawn failed")
    assert _policy_and_nice(0) == (os.SCHED_OTHER, 0)


def test_a_short_burst_is_not_prioritized() -> None:
    with prioritized_burst(PRIORITIZED_BURST_SPAWNS - 1) as raised:
        assert not raised
        assert os.sched_getscheduler(0) == os.SCHED_OTHER


CHECK_IN_A_CHILD = """
import os, sys
from minder.engine.burstpriority import prioritized_burst
with prioritized_burst(500) as raised:
    policy = os.sched_getscheduler(0)
    pid = os.posix_spawn("/bin/sleep", ["sleep", "30"], {})
    child = os.sched_getscheduler(pid), os.getpriority(os.PRIO_PROCESS, pid)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
inherited = os.SCHED_OTHER, os.getpriority(os.PRIO_PROCESS, 0)
print(raised, policy == os.SCHED_OTHER, child == inherited)
"""


def _run_check(prefix: list[str]) -> str:
    done = subprocess.run(
        [*prefix, sys.executable, "-c", CHECK_IN_A_CHILD],
        capture_output=True, text=True, timeout=30, check=True,
    )
    return done.stdout.strip()


def test_a_minderd_the_user_reniced_keeps_its_nice_and_so_do_its_children() -> None:
    assert _run_check(["nice", "-n", "5"]) == "False True True"


@pytest.mark.skipif(shutil.which("setpriv") is None, reason="setpriv (util-linux) is not installed")
def test_without_the_privilege_nothing_changes() -> None:
    # without CAP_SYS_NICE (and root's RLIMIT_RTPRIO of 0) SCHED_FIFO is refused
    drop = ["setpriv", "--bounding-set", "-sys_nice", "--inh-caps", "-sys_nice"]
    assert _run_check(drop) == "False True True"


@needs_realtime
def test_a_real_start_up_leaves_every_child_and_minderd_at_sched_other(tmp_path: Path) -> None:
    body = f"""
    [program:many]
    command = /bin/sleep 60
    numprocs = {PRIORITIZED_BURST_SPAWNS + 10}
    process_name = many_%(process_num)d
    startsecs = 0
    """
    with run_daemon(tmp_path, body) as daemon, daemon.rpc() as proxy:
        infos = wait_for(
            lambda: (found := proxy.supervisor.getAllProcessInfo())
            and all(i["statename"] == "RUNNING" for i in found) and found,
            what="every program RUNNING",
        )
        assert len(infos) == PRIORITIZED_BURST_SPAWNS + 10
        assert {_policy_and_nice(info["pid"]) for info in infos} == {(os.SCHED_OTHER, 0)}
        assert _policy_and_nice(daemon.proc.pid) == (os.SCHED_OTHER, 0)
        assert "spawned: 'many_0'" in daemon.main_log()


@needs_realtime
def test_start_all_through_the_api_leaves_every_child_and_minderd_at_sched_other(
    tmp_path: Path,
) -> None:
    body = f"""
    [program:later]
    command = /bin/sleep 60
    numprocs = {PRIORITIZED_BURST_SPAWNS + 10}
    process_name = later_%(process_num)d
    autostart = false
    startsecs = 0
    """
    with run_daemon(tmp_path, body) as daemon, daemon.rpc() as proxy:
        results = proxy.supervisor.startAllProcesses(True)
        assert [r["status"] for r in results] == [80] * (PRIORITIZED_BURST_SPAWNS + 10)
        infos = proxy.supervisor.getAllProcessInfo()
        assert {i["statename"] for i in infos} == {"RUNNING"}
        assert {_policy_and_nice(info["pid"]) for info in infos} == {(os.SCHED_OTHER, 0)}
        assert _policy_and_nice(daemon.proc.pid) == (os.SCHED_OTHER, 0)
