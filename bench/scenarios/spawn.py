"""spawn and idle: N sleeping programs with startsecs=1.

spawn: seconds from daemon start until every child has a pid and until
every child is RUNNING, polled with getAllProcessInfo every 50 ms (the same
polling load on both daemons), and daemon RSS two seconds later.
idle: with N programs RUNNING, the daemon's CPU seconds and context
switches over a quiet window in which nobody talks to it.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import confgen, daemons, procfs
from bench.scenarios.base import Figure, Scenario, count, states, wait_all

SPAWN_FIGURES = (
    Figure("all_spawned_s", "until all spawned", "s"),
    Figure("all_running_s", "until all RUNNING", "s"),
    Figure("rss_mib", "daemon RSS, steady", "MiB"),
)


def run_spawn(kind: str, workdir: Path, *, n: int, cap: float) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, wait_for_socket=False, grace=30) as d:
        deadline = d.started + cap
        spawned_at = 0.0
        while True:
            now = time.monotonic()
            if now > deadline:
                raise daemons.BenchError(f"not all {n} RUNNING after {cap:.0f}s")
            d.check_alive()
            try:
                infos = states(d)
            except OSError:  # socket not up yet
                time.sleep(0.05)
                continue
            seen = time.monotonic()
            if not spawned_at and count(infos, "STARTING", "RUNNING") >= n:
                spawned_at = seen
            if count(infos, "RUNNING") >= n:
                running_at = seen
                break
            time.sleep(0.05)
        time.sleep(2.0)
        rss = procfs.rss_mib(d.pid)
    return {
        "all_spawned_s": spawned_at - d.started,
        "all_running_s": running_at - d.started,
        "rss_mib": rss,
    }


def spawn(n: int, cap: float) -> Scenario:
    return Scenario(
        name=f"spawn N={n}",
        group="spawn",
        run=lambda kind, wd: run_spawn(kind, wd, n=n, cap=cap),
        figures=SPAWN_FIGURES,
        timeout=cap + 60,
    )


def run_idle(kind: str, workdir: Path, *, n: int, window: float) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, grace=30) as d:
        wait_all(d, n, "RUNNING", time.monotonic() + 120, interval=0.2)
        time.sleep(2.0)  # let the last RUNNING transitions and log writes settle
        before = procfs.sample(d.pid)
        time.sleep(window)
        after = procfs.sample(d.pid)
        d.check_alive()
    return {
        "cpu_s": after.cpu_s - before.cpu_s,
        "wakeups_per_s": (after.ctxt - before.ctxt) / window,
    }


def idle(n: int, window: float) -> Scenario:
    return Scenario(
        name=f"idle N={n}",
        group="idle",
        run=lambda kind, wd: run_idle(kind, wd, n=n, window=window),
        figures=(
            Figure("cpu_s", f"daemon CPU over {window:.0f}s", "s"),
            Figure("wakeups_per_s", "context switches", "/s"),
        ),
        timeout=window + 200,
    )
