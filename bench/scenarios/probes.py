"""probes: N programs each probed every second — what health checks cost.

Every program is a sleeper with ``health_check=tcp://127.0.0.1:PORT`` and
``health_interval=1`` (after a ``ready_check`` on the same port), where
PORT is a listener this bench runs in a thread, accepting and closing, and
counting connections: so the figure includes proof that the probes ran
(probes/s ≈ N). Over a quiet window nobody talks to the daemon; its CPU
time (as % of one core) and context switches are read from /proc.

supervisord ignores the minder keys (it has no probes), so its row is the
same N sleepers unprobed: the daemon's idle cost for comparison.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

from bench import confgen, daemons, procfs
from bench.scenarios.base import Figure, Scenario, wait_logged


class CountingListener:
    """A loopback TCP server that accepts, closes and counts connections."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(4096)
        self.port = int(self.sock.getsockname()[1])
        self.accepted = 0
        self._stop = False
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.2)
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.close()
            self.accepted += 1

    def close(self) -> None:
        self._stop = True
        self._thread.join(2)
        self.sock.close()


def run_probes(kind: str, workdir: Path, *, n: int, window: float) -> dict[str, float]:
    listener = CountingListener()
    try:
        target = f"tcp://127.0.0.1:{listener.port}"
        body = confgen.sleepers(n, ready_check=target, ready_interval=1,
                                health_check=target, health_interval=1)
        conf = confgen.write(workdir, body, programs=n)
        with daemons.running(kind, conf, grace=30) as d:
            wait_logged(d, "running", n, time.monotonic() + 120, confirm="RUNNING")
            time.sleep(3.0)  # readiness probes done, liveness probes in their rhythm
            before, probes_before = procfs.sample(d.pid), listener.accepted
            time.sleep(window)
            after, probes_after = procfs.sample(d.pid), listener.accepted
            d.check_alive()
    finally:
        listener.close()
    cpu_s = after.cpu_s - before.cpu_s
    return {
        "cpu_pct": cpu_s / window * 100,
        "wakeups_per_s": (after.ctxt - before.ctxt) / window,
        "probes_per_s": (probes_after - probes_before) / window,
    }


def probes(n: int, window: float) -> Scenario:
    return Scenario(
        name=f"probes N={n} every 1s",
        group="probes",
        run=lambda kind, wd: run_probes(kind, wd, n=n, window=window),
        figures=(
            Figure("cpu_pct", "daemon CPU (% of a core)", "%"),
            Figure("wakeups_per_s", "context switches", "/s"),
            Figure("probes_per_s", "probes answered", "/s"),
        ),
        timeout=window + 200,
        notes="supervisord ignores health_check: its row is N unprobed sleepers",
    )
