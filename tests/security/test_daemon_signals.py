"""A signal at any moment is handled or queued, never fatal (item 14).

Handlers used to be removed and re-installed around every reload; a SIGHUP
or SIGUSR2 (logrotate's postrotate) landing in that window had its default
action and killed minderd with every program stopped.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from tests.security.local import IDLE_PROGRAM
from tests.support.daemons import rpc_proxy, run_daemon, wait_for


def test_a_storm_of_reload_and_reopen_signals_never_kills_the_daemon(tmp_path: Path) -> None:
    with run_daemon(tmp_path, IDLE_PROGRAM) as daemon:
        pid = daemon.proc.pid
        deadline = time.monotonic() + 6.0
        sent = 0
        while time.monotonic() < deadline and daemon.proc.poll() is None:
            os.kill(pid, signal.SIGHUP if sent % 3 else signal.SIGUSR2)
            sent += 1
            time.sleep(0.002)  # pacing of the storm, not a wait for a result
        assert daemon.proc.poll() is None, (
            f"minderd died ({daemon.proc.returncode}) after {sent} signals"
        )

        def serving() -> bool:
            with rpc_proxy(str(daemon.socket_path)) as proxy:
                running = proxy.supervisor.getState()["statename"] == "RUNNING"
                info = proxy.supervisor.getProcessInfo("idle")
            return bool(running and info["statename"] == "RUNNING")

        wait_for(serving, timeout=30, what="minderd to settle after the storm")
        assert daemon.main_log().count("supervisord started with pid") >= 2
        assert daemon.proc.poll() is None
