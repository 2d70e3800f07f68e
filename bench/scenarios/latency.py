"""restart and stop: how fast the daemon reacts to one child.

restart: a child that exits right after it starts (autorestart=true,
startsecs=0). Each child stamps CLOCK_MONOTONIC at start and just before
exit; the gap between one exit and the next start is the daemon's
crash-to-restart latency (plus the child's interpreter start-up, which the
floors line measures without any supervisor).
stop: stopProcess(name, wait=True) on a RUNNING ``sleep`` (which dies on
SIGTERM), timed by the client from call to answer.
"""

from __future__ import annotations

import time
from pathlib import Path

from bench import children, confgen, daemons
from bench.scenarios.base import Figure, Scenario, wait_all
from bench.stamps import gaps_ms
from bench.stats import median, percentile


def run_restart(kind: str, workdir: Path, *, restarts: int) -> dict[str, float]:
    stamps = workdir / "stamps"
    body = confgen.program(
        "flap",
        children.command("stamp.py", stamps),
        autostart=True,
        autorestart=True,
        startsecs=0,
        startretries=1_000_000,
        # The engine's raw exit -> spawn path, so crash-loop pacing is off here
        # (supervisord ignores the key); bench/scenarios/pacing.py measures
        # the paced loop and the respawn of a process that had been up.
        restart_backoff_secs=0,
    )
    conf = confgen.write(workdir, body, programs=1)
    with daemons.running(kind, conf) as d:

        def enough() -> bool:
            d.check_alive()
            return stamps.exists() and len(gaps_ms(stamps.read_text())) >= restarts

        daemons.wait_until(enough, time.monotonic() + 30 + restarts * 3, "restarts", 0.05)
        gaps = gaps_ms(stamps.read_text())[:restarts]
    return {"gap_ms_median": median(gaps), "gap_ms_p95": percentile(gaps, 95)}


def restart(restarts: int) -> Scenario:
    return Scenario(
        name=f"restart x{restarts}",
        group="restart",
        run=lambda kind, wd: run_restart(kind, wd, restarts=restarts),
        figures=(
            Figure("gap_ms_median", "exit -> next start, median", "ms"),
            Figure("gap_ms_p95", "exit -> next start, p95", "ms"),
        ),
        timeout=90 + restarts * 4,
    )


def run_stop(kind: str, workdir: Path, *, stops: int) -> dict[str, float]:
    # startsecs=1, not 0: a SIGTERM that lands between fork and exec is lost
    # in supervisord's child (its Python handler runs there and exec resets
    # it), which would turn one stop into a 10 s SIGKILL wait. RUNNING after
    # 1 s guarantees the child has exec'd; the start itself is not timed.
    body = confgen.program("victim", "/bin/sleep infinity", autostart=True, startsecs=1)
    conf = confgen.write(workdir, body, programs=1)
    times: list[float] = []
    with daemons.running(kind, conf) as d:
        for _ in range(stops):
            wait_all(d, 1, "RUNNING", time.monotonic() + 30)
            t0 = time.perf_counter()
            d.call("supervisor.stopProcess", "victim", True)
            times.append((time.perf_counter() - t0) * 1000)
            info = d.call("supervisor.getProcessInfo", "victim")
            assert isinstance(info, dict)
            if info["statename"] != "STOPPED":
                raise daemons.BenchError(f"stopProcess returned in state {info['statename']}")
            d.call("supervisor.startProcess", "victim", True)
    return {"stop_ms_median": median(times), "stop_ms_p95": percentile(times, 95)}


def stop(stops: int) -> Scenario:
    return Scenario(
        name=f"stop x{stops}",
        group="stop",
        run=lambda kind, wd: run_stop(kind, wd, stops=stops),
        figures=(
            Figure("stop_ms_median", "stopProcess(wait), median", "ms"),
            Figure("stop_ms_p95", "stopProcess(wait), p95", "ms"),
        ),
        timeout=60 + stops * 5,
    )
