"""ctl, stopall and scale: whole-daemon operations a user feels.

ctl: wall time of the whole ``minderctl status`` / ``supervisorctl status``
process (interpreter start-up included, that is what a user waits for),
each client against its own daemon.
stopall: stopAllProcesses(wait=True) with N RUNNING, until getAllProcessInfo
shows every one STOPPED.
scale: 5,000 programs: spawn until all RUNNING (capped; if the daemon
cannot, we report how many it got RUNNING by the cap), status latency and
stop-all.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench import confgen, daemons
from bench.scenarios.base import Figure, Scenario, count, states, wait_all
from bench.stats import median


def run_ctl(kind: str, workdir: Path, *, n: int, runs: int) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    client = daemons.executable(daemons.CLIENTS[kind])
    times = []
    with daemons.running(kind, conf, grace=30) as d:
        wait_all(d, n, "RUNNING", time.monotonic() + 120, interval=0.2)
        for _ in range(runs):
            t0 = time.perf_counter()
            res = subprocess.run(
                [client, "-c", str(conf), "status"],
                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            )
            times.append((time.perf_counter() - t0) * 1000)
            lines = [ln for ln in res.stdout.splitlines() if "RUNNING" in ln]
            if res.returncode != 0 or len(lines) != n:
                raise daemons.BenchError(
                    f"{daemons.CLIENTS[kind]} status exited {res.returncode} with "
                    f"{len(lines)}/{n} RUNNING lines: {res.stderr.strip()[:80]}"
                )
    return {"status_ms": median(times)}


def ctl(n: int, runs: int) -> Scenario:
    return Scenario(
        name=f"ctl status N={n}",
        group="ctl",
        run=lambda kind, wd: run_ctl(kind, wd, n=n, runs=runs),
        figures=(Figure("status_ms", "ctl status, whole process", "ms"),),
        timeout=200 + runs * 10,
    )


def _stop_all(d: daemons.Daemon, n: int, deadline: float) -> float:
    t0 = time.monotonic()
    d.call("supervisor.stopAllProcesses", True, timeout=max(1.0, deadline - t0))
    wait_all(d, n, "STOPPED", deadline, interval=0.05)
    return time.monotonic() - t0


def run_stopall(kind: str, workdir: Path, *, n: int) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, grace=30) as d:
        wait_all(d, n, "RUNNING", time.monotonic() + 180, interval=0.2)
        return {"stopall_s": _stop_all(d, n, time.monotonic() + 180)}


def stopall(n: int) -> Scenario:
    return Scenario(
        name=f"stop all N={n}",
        group="stopall",
        run=lambda kind, wd: run_stopall(kind, wd, n=n),
        figures=(Figure("stopall_s", "stopAllProcesses until all STOPPED", "s"),),
        timeout=480,
    )


def run_scale(kind: str, workdir: Path, *, n: int, cap: float) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    out: dict[str, float] = {}
    with daemons.running(kind, conf, wait_for_socket=False, grace=60) as d:
        deadline = d.started + cap
        running = 0
        while time.monotonic() < deadline:
            d.check_alive()
            try:
                running = count(states(d), "RUNNING")
            except OSError:
                time.sleep(0.2)
                continue
            if running >= n:
                out["spawn_s"] = time.monotonic() - d.started
                break
            time.sleep(0.2)
        out["running_at_cap"] = float(running)
        if running < n:
            out["spawn_s"] = float("nan")
        lat = []
        for _ in range(5):
            t0 = time.perf_counter()
            states(d)
            lat.append((time.perf_counter() - t0) * 1000)
        out["status_ms"] = median(lat)
        if running >= n:
            out["stopall_s"] = _stop_all(d, n, time.monotonic() + cap)
    return out


def scale(n: int, cap: float) -> Scenario:
    return Scenario(
        name=f"scale N={n}",
        group="scale",
        run=lambda kind, wd: run_scale(kind, wd, n=n, cap=cap),
        figures=(
            Figure("spawn_s", f"until all RUNNING (cap {cap:.0f}s)", "s"),
            Figure("running_at_cap", "RUNNING when done or at cap", "procs"),
            Figure("status_ms", "getAllProcessInfo, median of 5", "ms"),
            Figure("stopall_s", "stopAllProcesses until all STOPPED", "s"),
        ),
        timeout=2 * cap + 240,
        notes="spawn_s is '-' when the daemon did not get every program RUNNING by the cap",
    )
