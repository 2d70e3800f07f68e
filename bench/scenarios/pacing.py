"""pacing and containment (issue 14): what crash-loop pacing and cgroups cost.

respawn-after-uptime: a child that stays up ``uptime`` seconds, then exits 1
(autorestart=true). A process that had been up is restarted at once, so the
exit -> next start gap is the engine's latency plus interpreter start-up.
crashloop: ``/bin/false`` with startsecs=0, autorestart=true for ``window``
seconds: restarts per second (spawned lines in the main log) and the
daemon's CPU over the window.
containment: the spawn scenario's N sleepers under minderd with
``containment=cgroup`` and with ``containment=off`` in the same repetition
(supervisord ignores the key, so its two figures are two plain runs).
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import children, confgen, daemons, procfs
from bench.scenarios.base import Figure, Scenario, wait_logged
from bench.stamps import gaps_ms
from bench.stats import median


def run_respawn(kind: str, workdir: Path, *, restarts: int, uptime: float) -> dict[str, float]:
    stamps = workdir / "stamps"
    body = confgen.program(
        "worker",
        children.command("uptime_stamp.py", stamps, uptime),
        autostart=True,
        autorestart=True,
        startsecs=1,
    )
    conf = confgen.write(workdir, body, programs=1)
    with daemons.running(kind, conf) as d:

        def enough() -> bool:
            d.check_alive()
            return stamps.exists() and len(gaps_ms(stamps.read_text())) >= restarts

        daemons.wait_until(enough, time.monotonic() + 30 + restarts * (uptime + 3), "respawns")
        gaps = gaps_ms(stamps.read_text())[:restarts]
        d.mainlog.poll()
        exits, spawns = sorted(d.mainlog.events["exited"]), sorted(d.mainlog.events["spawned"])
    # The daemon's own part, from its log's millisecond stamps: "exited" -> next "spawned".
    own = [(spawns[i + 1] - exits[i]) * 1000 for i in range(min(len(exits), len(spawns) - 1))]
    return {"gap_ms_median": median(gaps), "gap_ms_max": max(gaps),
            "daemon_ms_median": median(own[:restarts])}


def respawn(restarts: int, uptime: float = 2.0) -> Scenario:
    return Scenario(
        name=f"respawn after {uptime:g}s up x{restarts}",
        group="pacing",
        run=lambda kind, wd: run_respawn(kind, wd, restarts=restarts, uptime=uptime),
        figures=(
            Figure("gap_ms_median", "exit -> next start, median", "ms"),
            Figure("gap_ms_max", "exit -> next start, max", "ms"),
            Figure("daemon_ms_median", "exited -> spawned in the daemon's log, median", "ms"),
        ),
        timeout=60 + restarts * (uptime + 4),
    )


def run_crashloop(kind: str, workdir: Path, *, window: float) -> dict[str, float]:
    body = confgen.program("crasher", "/bin/false", autostart=True, autorestart=True,
                           startsecs=0, startretries=1_000_000)
    conf = confgen.write(workdir, body, programs=1)
    with daemons.running(kind, conf) as d:
        wait_logged(d, "spawned", 1, time.monotonic() + 30)
        d.mainlog.poll()
        spawns0, cpu0, t0 = d.mainlog.count("spawned"), procfs.cpu_seconds(d.pid), time.monotonic()
        time.sleep(window)
        d.mainlog.poll()
        spawns, cpu = d.mainlog.count("spawned") - spawns0, procfs.cpu_seconds(d.pid) - cpu0
        elapsed = time.monotonic() - t0
        d.check_alive()
    return {"restarts_per_s": spawns / elapsed, "cpu_pct": 100 * cpu / elapsed}


def crashloop(window: float = 20.0) -> Scenario:
    return Scenario(
        name=f"crash loop {window:g}s",
        group="pacing",
        run=lambda kind, wd: run_crashloop(kind, wd, window=window),
        figures=(
            Figure("restarts_per_s", "restarts per second", "/s"),
            Figure("cpu_pct", "daemon CPU", "% of a core"),
        ),
        timeout=window + 90,
        max_reps=2,
    )


def _spawn_all(kind: str, workdir: Path, n: int, mode: str, cap: float) -> float:
    workdir.mkdir(parents=True, exist_ok=True)
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    conf.write_text(conf.read_text().replace(
        "identifier=bench\n", f"identifier=bench\ncontainment={mode}\n", 1))
    with daemons.running(kind, conf, wait_for_socket=False, grace=30) as d:
        deadline = d.started + cap
        daemons.wait_ready(d, deadline)
        wait_logged(d, "running", n, deadline, confirm="RUNNING")
        return d.mainlog.nth("spawned", n) - d.started_wall


_runs = {"count": 0}


def run_containment(kind: str, workdir: Path, *, n: int, cap: float) -> dict[str, float]:
    # Alternate which mode goes first: the first daemon of a pair pays for cold caches.
    _runs["count"] += 1
    order = ("cgroup", "off") if _runs["count"] % 2 else ("off", "cgroup")
    took = {mode: _spawn_all(kind, workdir / mode, n, mode, cap) for mode in order}
    return {"cgroup_s": took["cgroup"], "off_s": took["off"], "ratio": took["cgroup"] / took["off"]}


def containment(n: int, cap: float) -> Scenario:
    return Scenario(
        name=f"spawn N={n} in cgroups vs not",
        group="containment",
        run=lambda kind, wd: run_containment(kind, wd, n=n, cap=cap),
        figures=(
            Figure("cgroup_s", "until all spawned, containment=cgroup", "s"),
            Figure("off_s", "until all spawned, containment=off", "s"),
            Figure("ratio", "cgroup / off", "x"),
        ),
        timeout=2 * cap + 120,
    )
