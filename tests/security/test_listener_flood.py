"""A ``user=nobody`` event listener floods the root daemon (item 13).

The listener takes an event and answers with a RESULT line that never ends,
or announces a body of 100 GB and sends it: the daemon must stop buffering
at its bound, restart the listener, log and count it (``/metrics``), and
stay small.
"""

from __future__ import annotations

import pwd
import re
from pathlib import Path

import psutil

from tests.e2e.test_rpc_support import http_request
from tests.security.local import flooding_listeners
from tests.support.daemons import run_daemon, wait_for

GROWTH_LIMIT = 64 * 1024 * 1024


def test_flooding_listeners_are_restarted_and_the_daemon_stays_small(
    open_dir: Path, nobody: pwd.struct_passwd
) -> None:
    body = flooding_listeners(open_dir)
    with run_daemon(open_dir, body) as daemon:
        daemon_process = psutil.Process(daemon.proc.pid)
        baseline = daemon_process.memory_info().rss

        def outcome() -> str | None:
            grown = daemon_process.memory_info().rss - baseline
            if grown > GROWTH_LIMIT:
                return f"grew by {grown // (1024 * 1024)} MiB"
            log = daemon.main_log()
            if "listener endless_line sent" in log and "listener huge_body sent" in log:
                return "restarted"
            return None

        result = wait_for(outcome, timeout=30, what="the floods to be cut off")
        assert result == "restarted", f"the daemon {result}"
        log = daemon.main_log()
        assert "restarting it (1 overruns in this pool so far)" in log
        grown = daemon_process.memory_info().rss - baseline
        assert grown < GROWTH_LIMIT, f"the daemon grew by {grown // (1024 * 1024)} MiB"
        with daemon.rpc() as proxy:
            assert proxy.supervisor.getState()["statename"] == "RUNNING"
        status, _, metrics = http_request(str(daemon.socket_path), "GET", "/metrics")
        assert status == 200
        counted = re.findall(
            rb'^minder_event_listener_overruns_total\{pool="(\w+)"\} (\d+)$', metrics, re.M
        )
        assert {pool for pool, count in counted if int(count) >= 1} == {
            b"endless_line",
            b"huge_body",
        }
