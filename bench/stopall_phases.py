"""``python -m bench.stopall_phases``: where the wall time of a stop all of N goes.

The ``stopall`` scenario gives one wall time (call -> answer decoded and
every ``stopped:`` line logged) and the daemon's CPU over it; its floor is
an event loop that only reaps and closes. This splits minderd's side into
the parts that add up to the wall time, read inside the daemon
(``minderd -n`` with the engine's stop path wrapped, as
``bench.startup_phases`` wraps the spawns):

- ``requests_ms`` / ``cpu_requests_ms``: the call's start to its last stop
  request (every stop signal sent and its step done), wall and the event
  loop thread's CPU. Their
  difference is mostly the children dying on the daemon's CPU: a SIGTERMed
  child runs its exit at once, often on the CPU of the process that
  signalled it (``preempted``: the daemon's involuntary context switches);
- ``exits_ms`` / ``cpu_exits_ms``: the last request to the last exit handled
  (reaped, pipes drained and closed, ``stopped:`` logged, events, waiters);
- ``daemon_ms`` / ``cpu_ms``: the whole engine call;
- ``gc_ms`` / ``gc_runs``: cyclic collections inside it (``gc.callbacks``);
- ``answer_ms``: the client's connect to the reply's last byte (the call plus
  HTTP and the daemon's encoding of N results), and ``decode_ms``: the
  bench client decoding that reply (Python's ``xmlrpc.client``), which the
  scenario's wall time includes and the floor has no part of.

Trees given as ``label=PYTHONPATH`` (``current=`` is the installed one) are
alternated run by run, so a before / after comparison shares the machine's
mood; compare medians.

    .venv/bin/python -m bench.stopall_phases [--n 500] [--reps 5] [--where DIR]
        [current= base=/tmp/base/src ...]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import alternate, confgen, daemons, rpc
from bench.mainlog import MainLog
from bench.scenarios.base import count, states

WRAPPER = """
import gc, json, os, resource, sys, time
out = os.environ["STOPALL_PHASES_OUT"]
import minder.engine.control as control, minder.engine.process as process
marks, collections = {}, []
def mark(name):  # cheap enough for every request and exit: the clock and this thread's CPU
    marks[name] = (time.monotonic_ns(), time.thread_time_ns() / 1e6)
def usage(name):
    r = resource.getrusage(resource.RUSAGE_SELF)
    marks[name] = ((r.ru_utime + r.ru_stime) * 1e3, r.ru_nivcsw)
def on_gc(phase, info, began=[0]):
    if phase == "start":
        began[0] = time.perf_counter_ns()
    else:
        collections.append(time.perf_counter_ns() - began[0])
real_request, real_reaped, real_stop = (process.ProcessRunner.request_stop,
    process.ProcessRunner._reaped, control.ProcessControl.stop_processes)
def request_stop(self, *args, **kwargs):
    try:
        return real_request(self, *args, **kwargs)
    finally:
        mark("requested")
def reaped(self, returncode):
    real_reaped(self, returncode)
    mark("exited")
async def stop_processes(self, group, wait):
    marks.clear(); collections.clear()
    usage("usage_call"); mark("call")
    gc.callbacks.append(on_gc)
    try:
        return await real_stop(self, group, wait)
    finally:
        mark("answered"); usage("usage_answered")
        gc.callbacks.remove(on_gc)
        marks["gc"] = (len(collections), sum(collections) / 1e6)
        with open(out + ".tmp", "w") as f:
            json.dump(marks, f)
        os.rename(out + ".tmp", out)
process.ProcessRunner.request_stop = request_stop
process.ProcessRunner._reaped = reaped
control.ProcessControl.stop_processes = stop_processes
from minder.daemon.main import main
sys.argv[0] = "minderd"
raise SystemExit(main(sys.argv[1:]))
"""

FIGURES = (
    "answer_ms", "decode_ms", "daemon_ms", "requests_ms", "exits_ms",
    "cpu_ms", "cpu_requests_ms", "cpu_exits_ms", "preempted", "gc_ms", "gc_runs",
)


def one_run(src: str, n: int, where: str) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=where))
    conf = confgen.write(workdir, confgen.sleepers(n), programs=n)
    out = workdir / "marks.json"
    env = dict(os.environ, STOPALL_PHASES_OUT=str(out))
    if src:
        env["PYTHONPATH"] = src
    try:
        with open(workdir / "daemon.stderr", "wb") as err:
            started_wall, started = time.time(), time.monotonic()
            proc = subprocess.Popen(
                [sys.executable, "-c", WRAPPER, "-n", "-c", str(conf)], cwd=workdir, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
                start_new_session=True,
            )
        d = daemons.Daemon("minderd", proc, conf, workdir, started, started_wall,
                           MainLog(workdir / "daemon.log"))
        try:
            return _measure(d, n, out)
        except daemons.BenchError as exc:
            said = (workdir / "daemon.stderr").read_text(errors="replace").strip()
            raise daemons.BenchError(f"{exc}; minderd's stderr: {said[-600:]}") from None
        finally:
            daemons.stop(d, grace=30)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def _measure(d: daemons.Daemon, n: int, out: Path) -> dict[str, float]:
    deadline = time.monotonic() + 180
    daemons.wait_ready(d, deadline)
    daemons.wait_until(lambda: count(states(d), "RUNNING") == n, deadline, f"{n} RUNNING")
    request = rpc.prepare("supervisor.stopAllProcesses", True)
    seconds, body = rpc.exchange(d.sock, request, rpc.Buffer(), timeout=120)
    raw = bytes(body)
    t0 = time.perf_counter()
    results = rpc.decode("supervisor.stopAllProcesses", raw)
    decode_ms = (time.perf_counter() - t0) * 1e3
    if len(results) != n or any(r["status"] != 80 for r in results):
        raise daemons.BenchError(f"stopAllProcesses answered {len(results)}/{n} successes")
    daemons.wait_until(out.exists, deadline, "the daemon's marks")
    marks: dict[str, list[float]] = json.loads(out.read_text())  # renamed into place whole
    call, requested, exited, answered, usage0, usage1 = (marks[k] for k in (
        "call", "requested", "exited", "answered", "usage_call", "usage_answered"))
    ms = 1e-6
    return {
        "answer_ms": seconds * 1e3,
        "decode_ms": decode_ms,
        "daemon_ms": (answered[0] - call[0]) * ms,
        "requests_ms": (requested[0] - call[0]) * ms,
        "exits_ms": (exited[0] - requested[0]) * ms,
        "cpu_ms": usage1[0] - usage0[0],  # the whole daemon, as the scenario counts it
        "cpu_requests_ms": requested[1] - call[1],
        "cpu_exits_ms": exited[1] - requested[1],
        "preempted": usage1[1] - usage0[1],
        "gc_runs": marks["gc"][0],
        "gc_ms": marks["gc"][1],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.stopall_phases")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    alternate.add_tree_arguments(parser)
    args = parser.parse_args(argv)
    daemons.raise_fd_limit(confgen.min_fds(args.n) + 1024)
    alternate.run_trees(
        args.trees, args.reps, args.where, "stopall-",
        lambda src, parent: one_run(src, args.n, parent), FIGURES, 1,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
