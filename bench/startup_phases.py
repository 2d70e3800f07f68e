"""``python -m bench.startup_phases``: minderd's start-up, by CPU, to its first and N-th spawn.

The peers bench times ``first command -> first child`` from the children's
stamps, a wall time that on a shared machine moves with everyone else's
load. This runs ``minderd -n`` on the same fleet config (N programs of the
compiled child, AUTO logs or none) with ``os.posix_spawn`` wrapped, and
reads the daemon's own clock and ``getrusage`` at its first and N-th
spawn: wall time from the command, user+system CPU, and system CPU alone
(where AUTO-file creation shows), and the spawn phase between the two
(wall and CPU). Trees given as ``label=PYTHONPATH``
(``current=`` is the installed one) are alternated run by run, so a before
/ after comparison shares the machine's mood; compare medians.

``--delete-between`` removes each run's directory right after it, as the
bench's runner does between reps: on this VM's ext4, creating files in a
part of the disk where many inodes were freed in the last minutes costs
5-10x more (see docs/performance.md, "Start-up, third pass").

    .venv/bin/python -m bench.startup_phases [--n 500] [--reps 5] [--logs auto|none]
        [--where DIR] [--delete-between] [current= base=/tmp/base/src ...]

Only spawns through ``os.posix_spawn`` (engine/fastspawn.py: programs with no
directory=, umask= or user=, on Linux >= 5.11) of the programs' own command are
counted: not the ``mkdir`` helper start-up runs for cgroup leaves
(engine/leafmaker.py).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import alternate, confgen
from bench.peers import install

WRAPPER = """
import json, os, resource, sys, time
out, n = os.environ["STARTUP_PHASES_OUT"], int(os.environ["STARTUP_PHASES_N"])
real, count, marks = os.posix_spawn, [0], {}
child = os.environ["STARTUP_PHASES_CHILD"]  # only the programs' spawns count, not a helper's
def mark(name):
    r = resource.getrusage(resource.RUSAGE_SELF)
    marks[name] = (time.monotonic_ns(), r.ru_utime + r.ru_stime, r.ru_stime)
def counted(*args, **kwargs):
    if args[0] != child:
        return real(*args, **kwargs)
    count[0] += 1
    if count[0] == 1:
        mark("first")
    pid = real(*args, **kwargs)
    if count[0] == n:
        mark("all")
        with open(out + ".tmp", "w") as f:
            json.dump(marks, f)
        os.rename(out + ".tmp", out)
    return pid
os.posix_spawn = counted
from minder.daemon.main import main
sys.argv[0] = "minderd"
raise SystemExit(main(sys.argv[1:]))
"""

# spawn_s / spawn_cpu_ms: from the first to the N-th spawn, the part a change to
# the per-spawn path moves (the daemon's own CPU there is the steadiest figure)
FIGURES = (
    "first_s", "all_s", "cpu_first_ms", "sys_first_ms", "cpu_all_ms", "spawn_s", "spawn_cpu_ms",
)


def one_run(src: str, n: int, logs: str, where: str, delete: bool) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="run-", dir=where))
    child = install.child()
    options: dict[str, object] = {}
    if logs == "none":
        options = {"redirect_stderr": True, "stdout_logfile": "NONE"}
    body = "\n".join(
        confgen.program(f"p{i:05d}", f"{child} sleep {workdir}/stamps", **options)
        for i in range(n)
    )
    conf = confgen.write(workdir, body, programs=n)
    out = workdir / "marks.json"
    env = dict(os.environ, STARTUP_PHASES_OUT=str(out), STARTUP_PHASES_N=str(n),
               STARTUP_PHASES_CHILD=str(child))
    if src:
        env["PYTHONPATH"] = src
    try:
        with open(workdir / "daemon.stderr", "wb") as err:
            t0 = time.monotonic_ns()
            proc = subprocess.Popen(
                [sys.executable, "-c", WRAPPER, "-n", "-c", str(conf)], cwd=workdir, env=env,
                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err,
            )
            try:
                deadline = time.monotonic() + 120
                while not out.exists():
                    if proc.poll() is not None or time.monotonic() > deadline:
                        tail = (workdir / "daemon.stderr").read_text()[-400:]
                        raise RuntimeError(f"minderd never spawned {n} children: {tail}")
                    time.sleep(0.01)
                marks = json.loads(out.read_text())
            finally:
                if proc.poll() is None:
                    proc.send_signal(signal.SIGTERM)
                proc.wait(timeout=60)
    finally:
        if delete:
            shutil.rmtree(workdir, ignore_errors=True)
    first, done = marks["first"], marks["all"]
    return {
        "first_s": (first[0] - t0) / 1e9,
        "all_s": (done[0] - t0) / 1e9,
        "cpu_first_ms": first[1] * 1e3,
        "sys_first_ms": first[2] * 1e3,
        "cpu_all_ms": done[1] * 1e3,
        "spawn_s": (done[0] - first[0]) / 1e9,
        "spawn_cpu_ms": (done[1] - first[1]) * 1e3,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.startup_phases")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--logs", choices=("auto", "none"), default="auto")
    parser.add_argument("--delete-between", action="store_true")
    alternate.add_tree_arguments(parser)
    args = parser.parse_args(argv)
    alternate.run_trees(
        args.trees, args.reps, args.where, "phases-",
        lambda src, parent: one_run(src, args.n, args.logs, parent, args.delete_between),
        FIGURES, 3,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
