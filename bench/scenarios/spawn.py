"""spawn and idle: N sleeping programs with startsecs=1.

spawn: seconds from daemon start until every child has been spawned and
until every child is RUNNING, taken from the daemon's own main-log stamps
(see bench/mainlog.py; nobody polls the daemon meanwhile) and confirmed by
one getAllProcessInfo, and daemon RSS two seconds later.
idle: with N programs RUNNING, the daemon's CPU seconds and context
switches over a quiet window in which nobody talks to it.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import confgen, daemons, procfs
from bench.scenarios.base import Figure, Scenario, wait_logged

SPAWN_FIGURES = (
    Figure("first_spawn_s", "until first spawned", "s"),
    Figure("all_spawned_s", "until all spawned", "s"),
    Figure("all_running_s", "until all RUNNING", "s"),
    Figure("rss_mib", "daemon RSS, steady", "MiB"),
)


def run_spawn(kind: str, workdir: Path, *, n: int, cap: float) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, wait_for_socket=False, grace=30) as d:
        deadline = d.started + cap
        daemons.wait_ready(d, deadline)
        running_at = wait_logged(d, "running", n, deadline, confirm="RUNNING")
        spawned_at = d.mainlog.nth("spawned", n)
        time.sleep(2.0)
        rss = procfs.rss_mib(d.pid)
    return {
        "first_spawn_s": d.mainlog.nth("spawned", 1) - d.started_wall,
        "all_spawned_s": spawned_at - d.started_wall,
        "all_running_s": running_at - d.started_wall,
        "rss_mib": rss,
    }


def spawn(n: int, cap: float) -> Scenario:
    return Scenario(
        name=f"spawn N={n}",
        group="spawn",
        run=lambda kind, wd: run_spawn(kind, wd, n=n, cap=cap),
        figures=SPAWN_FIGURES,
        timeout=cap + 60,
        keep_until_end=True,  # 1,000 AUTO logs a run
    )


def run_idle(kind: str, workdir: Path, *, n: int, window: float) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, grace=30) as d:
        wait_logged(d, "running", n, time.monotonic() + 120, confirm="RUNNING")
        time.sleep(2.0)  # let the last RUNNING transitions and log writes settle
        before = procfs.sample(d.pid)
        time.sleep(window)
        after = procfs.sample(d.pid)
        d.check_alive()
    return {
        "cpu_ms": (after.cpu_s - before.cpu_s) * 1000,
        "wakeups_per_s": (after.ctxt - before.ctxt) / window,
    }


def idle(n: int, window: float) -> Scenario:
    return Scenario(
        name=f"idle N={n}",
        group="idle",
        run=lambda kind, wd: run_idle(kind, wd, n=n, window=window),
        figures=(
            Figure("cpu_ms", f"daemon CPU over {window:.0f}s", "ms"),
            Figure("wakeups_per_s", "context switches", "/s"),
        ),
        timeout=window + 200,
    )
