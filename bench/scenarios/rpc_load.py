"""rpc: XML-RPC latency and throughput with N programs RUNNING.

Latency is timed by one client, sequentially, one connection per call (as
supervisorctl does). Throughput is the sum over several client processes
calling as fast as they can for a fixed window; with 2 cores the clients
compete with the daemon, so calls/s is a ratio figure, not an absolute one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import confgen, daemons
from bench.scenarios.base import Figure, Scenario, wait_logged
from bench.stats import median, percentile

BENCH_ROOT = Path(__file__).resolve().parents[2]


def _latencies(d: daemons.Daemon, calls: int, method: str, *args: object) -> list[float]:
    out = []
    for _ in range(calls):
        t0 = time.perf_counter()
        d.call(method, *args)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def _throughput(d: daemons.Daemon, clients: int, seconds: float, method: str, *args: str) -> float:
    start_ns = time.monotonic_ns() + 300_000_000  # give the clients time to import
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "bench.load", d.sock, method, str(start_ns), str(seconds),
             *args],
            cwd=BENCH_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(clients)
    ]
    total = 0
    try:
        for p in procs:
            out, _ = p.communicate(timeout=seconds + 60)
            calls, errors, _elapsed = out.split()
            if int(errors):
                raise daemons.BenchError(f"{errors} failed {method} calls under load")
            total += int(calls)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return total / seconds


def run_rpc(
    kind: str, workdir: Path, *, n: int, calls: int, clients: int, seconds: float
) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    with daemons.running(kind, conf, grace=30) as d:
        wait_logged(d, "running", n, time.monotonic() + 180, confirm="RUNNING")
        one = "p00001"
        all_ms = _latencies(d, calls, "supervisor.getAllProcessInfo")
        one_ms = _latencies(d, calls, "supervisor.getProcessInfo", one)
        one_rate = _throughput(d, clients, seconds, "supervisor.getProcessInfo", one)
        all_rate = _throughput(d, clients, seconds, "supervisor.getAllProcessInfo")
        d.check_alive()
    return {
        "all_ms_median": median(all_ms),
        "all_ms_p95": percentile(all_ms, 95),
        "one_ms_median": median(one_ms),
        "one_ms_p95": percentile(one_ms, 95),
        "one_calls_s": one_rate,
        "all_calls_s": all_rate,
    }


def rpc(n: int, calls: int, clients: int, seconds: float) -> Scenario:
    return Scenario(
        name=f"rpc N={n}",
        group="rpc",
        run=lambda kind, wd: run_rpc(
            kind, wd, n=n, calls=calls, clients=clients, seconds=seconds
        ),
        figures=(
            Figure("all_ms_median", "getAllProcessInfo, median", "ms"),
            Figure("all_ms_p95", "getAllProcessInfo, p95", "ms"),
            Figure("one_ms_median", "getProcessInfo, median", "ms"),
            Figure("one_ms_p95", "getProcessInfo, p95", "ms"),
            Figure("one_calls_s", f"getProcessInfo, {clients} clients", "calls/s"),
            Figure("all_calls_s", f"getAllProcessInfo, {clients} clients", "calls/s"),
        ),
        timeout=300 + calls * 2,
    )
