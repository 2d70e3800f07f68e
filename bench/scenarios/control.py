"""ctl, stopall and scale: whole-daemon operations a user feels.

ctl: wall time of the whole ``minderctl status`` / ``supervisorctl status``
process (interpreter start-up included, that is what a user waits for),
each client against its own daemon. Each run is followed by ``python -c
pass`` with the client's own interpreter: the floor the issue-19 target is
held to, taken a second apart from the figure rather than minutes before it
in the floors line (on this VM the two drift by a third between minutes).
stopall: stopAllProcesses(wait=True) with N RUNNING: seconds until the
answer's last byte is in and the main log shows every ``stopped:`` line
(confirmed by the answer's N results and one getAllProcessInfo, both read
after the clock stopped), and the daemon's CPU time over that window; then
the event-loop stop floor (``floors.stop_watched_ms``, median of 3) right
after, and the ratio.
scale: 5,000 programs (stderr redirected, stdout_logfile=NONE, see
SCALE_OPTIONS): spawn until all RUNNING (capped; if the daemon cannot, we
report how many it got RUNNING by the cap), status latency and stop-all.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import confgen, daemons, floors, procfs, rpc
from bench.scenarios.base import Figure, Scenario, count, states, wait_logged
from bench.stats import median


def run_ctl(kind: str, workdir: Path, *, n: int, runs: int) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    client = daemons.executable(daemons.CLIENTS[kind])
    python = _interpreter_of(client)
    times, floors = [], []
    with daemons.running(kind, conf, grace=30) as d:
        wait_logged(d, "running", n, time.monotonic() + 120, confirm="RUNNING")
        for _ in range(runs):
            t0 = time.perf_counter()
            res = subprocess.run(
                [client, "-c", str(conf), "status"],
                capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
            )
            times.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            subprocess.run([python, "-c", "pass"], check=True, timeout=60,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
            floors.append((time.perf_counter() - t0) * 1000)
            lines = [ln for ln in res.stdout.splitlines() if "RUNNING" in ln]
            if res.returncode != 0 or len(lines) != n:
                raise daemons.BenchError(
                    f"{daemons.CLIENTS[kind]} status exited {res.returncode} with "
                    f"{len(lines)}/{n} RUNNING lines: {res.stderr.strip()[:80]}"
                )
    return {"status_ms": median(times), "site_floor_ms": median(floors),
            "over_floor": median(times) / median(floors)}


def _interpreter_of(script: str) -> str:
    """The interpreter a console script's ``#!`` line names (the client's own Python)."""
    with open(script, "rb") as f:
        first = f.readline().decode(errors="replace")
    if first.startswith("#!"):
        return first[2:].strip().split()[0]
    return sys.executable


def ctl(n: int, runs: int) -> Scenario:
    return Scenario(
        name=f"ctl status N={n}",
        group="ctl",
        run=lambda kind, wd: run_ctl(kind, wd, n=n, runs=runs),
        figures=(
            Figure("status_ms", "ctl status, whole process", "ms"),
            Figure("site_floor_ms", "python -c pass right after it (the floor)", "ms"),
            Figure("over_floor", "ctl status / that floor", "x"),
        ),
        timeout=200 + runs * 10,
    )


STOP_ALL = rpc.prepare("supervisor.stopAllProcesses", True)
SUCCESS = 80  # supervisord's Faults.SUCCESS in each result


def _stop_all(d: daemons.Daemon, n: int, deadline: float) -> tuple[float, float]:
    """(seconds from the call until its answer's last byte is in and the log
    shows n stopped, the daemon's CPU ms over that time)."""
    d.mainlog.poll()
    already = d.mainlog.count("stopped")
    cpu0 = procfs.cpu_seconds_precise(d.pid)
    t0_wall = time.time()
    t0 = time.monotonic()
    _, body = rpc.exchange(d.sock, STOP_ALL, rpc.Buffer(), timeout=max(1.0, deadline - t0))
    answered = time.monotonic() - t0  # the answer's last byte is in
    last = wait_logged(d, "stopped", already + n, deadline, confirm=None)
    cpu_ms = (procfs.cpu_seconds_precise(d.pid) - cpu0) * 1000
    # Decoded after the clock stopped: the bench's own client is not the
    # daemon (the 500 results take 10-16 ms of expat and Python here).
    results = rpc.decode("supervisor.stopAllProcesses", bytes(body))
    stopped = sum(1 for r in results if r.get("status") == SUCCESS)
    if stopped < n:
        raise daemons.BenchError(f"stopAllProcesses reported {stopped}/{n} stopped")
    infos = states(d)
    if count(infos, "STOPPED") < n:
        raise daemons.BenchError(f"only {count(infos, 'STOPPED')}/{n} STOPPED after stop-all")
    return max(answered, last - t0_wall), cpu_ms


def run_stopall(kind: str, workdir: Path, *, n: int) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, grace=30) as d:
        wait_logged(d, "running", n, time.monotonic() + 180, confirm="RUNNING")
        seconds, cpu_ms = _stop_all(d, n, time.monotonic() + 180)
    # The event-loop floor right after, not minutes before in the floors line:
    # on this VM a rep's figure moved 2x within one invocation (docs/performance.md,
    # seventh pass), and a ratio to a floor of another moment moved with it.
    floor_ms = median([floors.stop_watched_ms(n) for _ in range(3)])
    return {"stopall_s": seconds, "stopall_cpu_ms": cpu_ms, "stop_floor_ms": floor_ms,
            "over_floor": seconds * 1000 / floor_ms}


def stopall(n: int) -> Scenario:
    return Scenario(
        name=f"stop all N={n}",
        group="stopall",
        run=lambda kind, wd: run_stopall(kind, wd, n=n),
        figures=(
            Figure("stopall_s", "stopAllProcesses until all STOPPED", "s"),
            Figure("stopall_cpu_ms", "daemon CPU over that time", "ms"),
            Figure("stop_floor_ms", "event-loop stop floor right after it", "ms"),
            Figure("over_floor", "stop all / that floor", "x"),
        ),
        timeout=480,
    )


# With AUTO logs a child costs 5 descriptors in supervisord and 6 in minderd;
# 5,000 of them do not fit under a 20,000 hard RLIMIT_NOFILE (common in
# containers, where even root cannot raise it). One pipe and no log file per
# child (3 fds with minderd's pidfd) fits, and is how one runs many small
# programs anyway.
SCALE_OPTIONS: dict[str, object] = {"redirect_stderr": True, "stdout_logfile": "NONE"}
SCALE_FDS_PER_CHILD = 3


def run_scale(kind: str, workdir: Path, *, n: int, cap: float) -> dict[str, float]:
    conf = confgen.write(
        workdir, confgen.sleepers(n, **SCALE_OPTIONS), programs=n,
        per_child=SCALE_FDS_PER_CHILD,
    )
    out: dict[str, float] = {}
    with daemons.running(kind, conf, wait_for_socket=False, grace=60) as d:
        deadline = d.started + cap
        try:
            daemons.wait_ready(d, deadline)
            out["spawn_s"] = wait_logged(d, "running", n, deadline) - d.started_wall
        except daemons.BenchError:
            d.check_alive()  # a dead daemon is a failure; a slow one is a result
            out["spawn_s"] = float("nan")
        running = count(states(d), "RUNNING")
        out["running_at_cap"] = float(running)
        lat = []
        for _ in range(3):
            t0 = time.perf_counter()
            states(d)
            lat.append((time.perf_counter() - t0) * 1000)
        out["status_ms"] = median(lat)
        if running >= n:
            out["stopall_s"], _ = _stop_all(d, n, time.monotonic() + cap)
    return out


def scale(n: int, cap: float) -> Scenario:
    return Scenario(
        name=f"scale N={n} (no logs)",
        group="scale",
        run=lambda kind, wd: run_scale(kind, wd, n=n, cap=cap),
        figures=(
            Figure("spawn_s", f"until all RUNNING (cap {cap:.0f}s)", "s"),
            Figure("running_at_cap", "RUNNING when done or at cap", "procs"),
            Figure("status_ms", "getAllProcessInfo, median of 3", "ms"),
            Figure("stopall_s", "stopAllProcesses until all STOPPED", "s"),
        ),
        timeout=2 * cap + 240,
        max_reps=2,
        notes="spawn_s is '-' when the daemon did not get every program RUNNING by the cap",
    )
