"""`minderctl status` against supervisord itself, beside supervisorctl.

    .venv/bin/python -m bench.ctl_cross [--programs N] [--reps R]

minderctl asks minderd for `minder.getAllProcessInfoJSON`; a supervisord
answers that with UNKNOWN_METHOD and minderctl falls back to
`getAllProcessInfo`, so against supervisord it makes one small extra
request. This measures what that costs a user who points minderctl at an
existing supervisord: one supervisord on N sleeping programs, then
`minderctl status` and `supervisorctl status` alternately, R runs each,
per round; prints the medians of wall time and of the client's CPU
(user + system, from getrusage of the finished child).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from statistics import median

from bench import confgen, daemons


def _bin(name: str) -> str:
    """The console script of this interpreter's environment (the venv's)."""
    return str(Path(sys.executable).with_name(name))


def timed(argv: list[str], reps: int) -> tuple[float, float, int]:
    """(median wall ms, median client CPU ms, RUNNING lines in the last answer)."""
    walls: list[float] = []
    cpus: list[float] = []
    running = 0
    for _ in range(reps):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, check=False)
        walls.append((time.perf_counter() - start) * 1000)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(
            (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
        )
        running = done.stdout.count(b"RUNNING")
    return median(walls), median(cpus), running


def _wait_running(conf: Path, programs: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        out = subprocess.run(
            [_bin("supervisorctl"), "-c", str(conf), "status"], capture_output=True, check=False
        ).stdout
        if out.count(b"RUNNING") == programs:
            return
        time.sleep(0.2)
    raise RuntimeError(f"supervisord did not get {programs} programs RUNNING")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=100)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="bench-ctl-cross-"))
    try:
        conf = confgen.write(
            workdir, confgen.sleepers(args.programs, startsecs=0), programs=args.programs
        )
        with daemons.running("supervisord", conf, grace=10):
            _wait_running(conf, args.programs, time.monotonic() + 60)
            for _ in range(args.rounds):
                for client in ("minderctl", "supervisorctl"):
                    wall, cpu, running = timed(
                        [_bin(client), "-c", str(conf), "status"], args.reps
                    )
                    print(f"{client:>13} -> supervisord: wall {wall:6.1f} ms, "
                          f"client CPU {cpu:6.1f} ms, {running} RUNNING lines")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
