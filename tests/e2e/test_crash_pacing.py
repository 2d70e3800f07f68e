"""Restart pacing against a real minderd: crash loops are slow, real crashes fast.

The loop is counted over 20 s of wall time because that is the claim
(at most 2 restarts a second); the arithmetic itself is unit-tested in
tests/unit/test_pacing.py. Latency is measured in bench/, not asserted here.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from tests.support.daemons import RunningDaemon, process_alive, run_daemon, wait_for

PY = sys.executable
TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def spawn_count(d: RunningDaemon, name: str) -> int:
    return d.main_log().count(f"spawned: '{name}' with pid")


def test_a_crash_loop_is_paced_and_cheap(tmp_path: Path) -> None:
    body = """
    [program:crasher]
    command=/bin/false
    startsecs=0
    autorestart=true
    """
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: spawn_count(d, "crasher") >= 1, timeout=10, what="first spawn")
        spawns0, cpu0, t0 = spawn_count(d, "crasher"), cpu_seconds(d.proc.pid), time.monotonic()
        wait_for(lambda: time.monotonic() - t0 >= 20, timeout=30, interval=0.5,
                 what="20 s of crash loop")
        spawns, cpu = spawn_count(d, "crasher") - spawns0, cpu_seconds(d.proc.pid) - cpu0
        elapsed = time.monotonic() - t0
        log = d.main_log()
        with d.rpc() as proxy:
            info = proxy.supervisor.getProcessInfo("crasher")
    print(f"crash loop: {spawns} restarts in {elapsed:.1f}s, daemon CPU {cpu:.2f}s")
    assert 1 <= spawns <= 2 * elapsed  # unpaced it was ~750/s
    assert cpu < 0.25 * elapsed  # unpaced it was a full core
    assert "crash loop: crasher exited" in log and "; restart in " in log
    if info["statename"] == "EXITED":  # waiting for its next try: status says when
        assert info["description"].startswith("crash loop: next start at ")


def test_a_process_up_for_3s_comes_back_at_once(tmp_path: Path) -> None:
    marker = tmp_path / "crashed-once"
    worker = tmp_path / "worker.py"
    worker.write_text(
        "import os, sys, time\n"
        f"first = not os.path.exists({str(marker)!r})\n"
        f"open({str(marker)!r}, 'a').close()\n"
        "time.sleep(3 if first else 300)\n"
        "sys.exit(3)\n"
    )
    body = f"""
    [program:worker]
    command={PY} {worker}
    startsecs=0
    autorestart=true
    """
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: spawn_count(d, "worker") >= 2, timeout=20, what="the respawn")
        log = d.main_log()
        with d.rpc() as proxy:
            info = proxy.supervisor.getProcessInfo("worker")
    assert "exited: worker (exit status 3; not expected)" in log
    assert "crash loop" not in log  # up 3 s: no delay, no backoff
    assert info["statename"] == "RUNNING"


def test_stop_cancels_a_scheduled_restart(tmp_path: Path) -> None:
    body = """
    [program:crasher]
    command=/bin/false
    startsecs=0
    autorestart=true
    restart_backoff_secs=30
    """
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: "restart in" in d.main_log(), timeout=10, what="a paced restart")
        result = d.ctl("stop", "crasher")
        assert "crasher: stopped" in result.stdout, result
        with d.rpc() as proxy:
            assert proxy.supervisor.getProcessInfo("crasher")["statename"] == "STOPPED"


def test_stopwaitsecs_zero_kills_once_and_waits(tmp_path: Path) -> None:
    stubborn = tmp_path / "stubborn.py"
    stubborn.write_text(
        "import signal, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "time.sleep(300)\n"
    )
    body = f"""
    [program:stubborn]
    command={PY} {stubborn}
    startsecs=0
    stopwaitsecs=0
    """
    with run_daemon(tmp_path, body) as d:
        with d.rpc() as proxy:
            wait_for(lambda: proxy.supervisor.getProcessInfo("stubborn")["pid"] > 0,
                     timeout=10, what="stubborn to run")
            pid = proxy.supervisor.getProcessInfo("stubborn")["pid"]
            assert proxy.supervisor.stopProcess("stubborn") is True
        assert not process_alive(pid)
        log = d.main_log()
    assert log.count("with SIGKILL") == 1, log
