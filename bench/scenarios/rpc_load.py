"""rpc: XML-RPC latency and throughput with N programs RUNNING.

The figures measure the daemon, not the client (``bench/rpc.py`` says how):
latency is timed by one client, sequentially, one new connection per call
(as supervisorctl does), from connect to the last byte of the reply, with
pre-built request bytes; each reply is then decoded and checked outside the
timed region. Decoding a 500-process getAllProcessInfo reply costs a Python
client ~25 ms, the same for both daemons and more than minderd needs to make
it, so it is reported on rows of its own, "incl. client parse", timed around
``xmlrpc.client`` as the latency rows were before.

Throughput is the sum over several client processes calling as fast as they
can for the same fixed window with the same light client. With 2 cores the
clients still compete with the daemon, so calls/s is a ratio figure, not an
absolute one.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from bench import confgen, daemons
from bench import rpc as client
from bench.scenarios.base import Figure, Scenario, wait_logged
from bench.stats import median, percentile

BENCH_ROOT = Path(__file__).resolve().parents[2]
ALL = "supervisor.getAllProcessInfo"
ONE = "supervisor.getProcessInfo"


def _latencies(
    d: daemons.Daemon, calls: int, n: int, method: str, *args: str
) -> tuple[list[float], int]:
    """Times (ms) to the last byte, and the size of the last reply (all checked)."""
    request = client.prepare(method, *args)
    buf = client.Buffer()
    out: list[float] = []
    size = 0
    for _ in range(calls):
        elapsed, body = client.exchange(d.sock, request, buf)
        client.check_reply(body)
        client.check_result(method, client.decode(method, bytes(body)), n, *args)
        out.append(elapsed * 1000)
        size = len(body)
    return out, size


def _parsed_latencies(
    d: daemons.Daemon, calls: int, n: int, method: str, *args: str
) -> list[float]:
    """Times (ms) of http.client + xmlrpc.client calls, decoding included."""
    out: list[float] = []
    for _ in range(calls):
        t0 = time.perf_counter()
        result = d.call(method, *args)
        out.append((time.perf_counter() - t0) * 1000)
        client.check_result(method, result, n, *args)
    return out


def _throughput(
    d: daemons.Daemon, clients: int, seconds: float, n: int, size: int, method: str, *args: str
) -> float:
    """Calls/s summed over ``clients`` load processes (each: calls / its elapsed)."""
    start_ns = time.monotonic_ns() + 300_000_000  # give the clients time to import
    command = [sys.executable, "-m", "bench.load", d.sock, method, str(start_ns), str(seconds)]
    procs = [
        subprocess.Popen(
            [*command, str(size), str(n), *args],
            cwd=BENCH_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(clients)
    ]
    rate = 0.0
    try:
        for p in procs:
            out, err = p.communicate(timeout=seconds + 60)
            if p.returncode != 0:
                raise daemons.BenchError(f"load client failed: {err.strip()[-200:]}")
            calls, errors, elapsed = out.split()
            if int(errors):
                raise daemons.BenchError(
                    f"{errors} failed {method} calls under load: {err.strip()[:200]}"
                )
            if int(calls):
                rate += int(calls) / float(elapsed)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    return rate


def run_rpc(
    kind: str, workdir: Path, *, n: int, calls: int, clients: int, seconds: float
) -> dict[str, float]:
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    one = "p00001" if n > 1 else "p00000"
    parsed_calls = max(1, calls // 4)
    with daemons.running(kind, conf, grace=30) as d:
        wait_logged(d, "running", n, time.monotonic() + 180, confirm="RUNNING")
        all_ms, all_size = _latencies(d, calls, n, ALL)
        one_ms, one_size = _latencies(d, calls, n, ONE, one)
        all_parsed = _parsed_latencies(d, parsed_calls, n, ALL)
        one_parsed = _parsed_latencies(d, parsed_calls, n, ONE, one)
        one_rate = _throughput(d, clients, seconds, n, one_size, ONE, one)
        all_rate = _throughput(d, clients, seconds, n, all_size, ALL)
        d.check_alive()
    return {
        "all_ms_median": median(all_ms),
        "all_ms_p95": percentile(all_ms, 95),
        "one_ms_median": median(one_ms),
        "one_ms_p95": percentile(one_ms, 95),
        "one_calls_s": one_rate,
        "all_calls_s": all_rate,
        "all_parsed_ms_median": median(all_parsed),
        "one_parsed_ms_median": median(one_parsed),
    }


def rpc(n: int, calls: int, clients: int, seconds: float) -> Scenario:
    return Scenario(
        name=f"rpc N={n}",
        group="rpc",
        run=lambda kind, wd: run_rpc(kind, wd, n=n, calls=calls, clients=clients, seconds=seconds),
        figures=(
            Figure("all_ms_median", "getAllProcessInfo, median to last byte", "ms"),
            Figure("all_ms_p95", "getAllProcessInfo, p95 to last byte", "ms"),
            Figure("one_ms_median", "getProcessInfo, median to last byte", "ms"),
            Figure("one_ms_p95", "getProcessInfo, p95 to last byte", "ms"),
            Figure("one_calls_s", f"getProcessInfo, {clients} clients", "calls/s"),
            Figure("all_calls_s", f"getAllProcessInfo, {clients} clients", "calls/s"),
            Figure(
                "all_parsed_ms_median",
                "getAllProcessInfo, median incl. client parse (xmlrpc.client)",
                "ms",
            ),
            Figure(
                "one_parsed_ms_median",
                "getProcessInfo, median incl. client parse (xmlrpc.client)",
                "ms",
            ),
        ),
        timeout=300 + calls * 2,
        notes=(
            "latency: new unix-socket connection per call, pre-built request, timed to the"
            " reply's last byte, each reply decoded and checked afterwards; 'incl. client"
            " parse' rows: http.client + xmlrpc.client, decoding inside the timing;"
            f" calls/s: {clients} load processes with the light client for {seconds:g} s"
        ),
    )
