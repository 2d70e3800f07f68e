"""``python -m bench.line_floor``: the least CPU any reader spends on 20 line writers.

The splice floor (bench/floors.py) is one fast writer whose pipe pages are
the stream file's own page-cache pages; line writers fill pipe pages that
each ``write(2)`` allocates and the reader's splice frees, so the same
bytes cost the reader more. This measures that floor: the peers bench's
20 C children (``child lines``, 5 MB each, one ``write(2)`` per 100-byte
line, released together through a FIFO) read by a bare loop in this
process, no supervisor: each pipe spliced into its own file, as minderd
does. Two loops:

- ``epoll``: read each pipe the moment epoll says it is readable;
- ``tick``: no epoll at all, every pipe spliced every ``--tick`` ms (what
  read batching did while every pipe was busy, before its tick adapted);
- ``adaptive``: the same, on minderd's adaptive tick: from ``--tick`` ms up
  to ``readbatch.MAX_INTERVAL``, set after each tick by ``next_interval``
  from the busiest pipe's rate, exactly as minderd's batch does.

Printed: the loop's CPU s per GiB (``time.process_time``), MiB/s, and the
bytes each file got (checked against what was written).

    .venv/bin/python -m bench.line_floor [--reps 3] [--tick 2] [--modes epoll,tick,adaptive]
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import os
import select
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import logstream
from bench.peers import install
from bench.stats import median
from minder.engine import readbatch
from minder.engine.output import READ_SIZE

WRITERS = 20
PER_CHILD = 5_000_000
PIPE_SIZE = 256 * 1024  # what minderd gives a child's stdout
CHUNK = 1 << 20


def one_run(workdir: Path, mode: str, tick: float) -> tuple[float, float]:
    child = install.child()
    gate = workdir / "gate"
    os.mkfifo(gate)
    count = str(PER_CHILD // logstream.LINE)
    procs: list[subprocess.Popen[bytes]] = []
    pipes: dict[int, int] = {}  # read end -> log fd
    try:
        for i in range(WRITERS):
            r, w = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
            os.set_blocking(w, True)
            with contextlib.suppress(OSError):
                fcntl.fcntl(r, 1031, PIPE_SIZE)  # F_SETPIPE_SZ
            procs.append(subprocess.Popen([str(child), "lines", count, "-", str(gate)], stdout=w))
            os.close(w)
            log = workdir / f"w{i:02d}.log"
            pipes[r] = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        logstream.prepare_memory(workdir / "scratch.bin", PER_CHILD * WRITERS)
        left = {r: PER_CHILD for r in pipes}
        cpu0, t0 = time.process_time(), time.monotonic()
        gate_fd = os.open(gate, os.O_WRONLY)
        try:
            if mode == "epoll":
                ep = select.epoll()
                for r in pipes:
                    ep.register(r, select.EPOLLIN)
                while left:
                    for r, _ in ep.poll():
                        left[r] -= _splice(r, pipes[r])
                        if left[r] <= 0:
                            ep.unregister(r)
                            del left[r]
                ep.close()
            else:
                _tick_loop(pipes, left, tick, adaptive=mode == "adaptive")
            cpu, elapsed = time.process_time() - cpu0, time.monotonic() - t0
        finally:
            os.close(gate_fd)
        for i, log_fd in enumerate(pipes.values()):
            size = os.fstat(log_fd).st_size
            if size != PER_CHILD:
                raise RuntimeError(f"w{i:02d}.log has {size} of {PER_CHILD} bytes")
    finally:
        for p in procs:
            p.kill()
            p.wait(10)
        for r, log_fd in pipes.items():
            os.close(r)
            os.close(log_fd)
    gib = PER_CHILD * WRITERS / 2**30
    return cpu / gib, gib * 1024 / elapsed


def _tick_loop(pipes: dict[int, int], left: dict[int, int], tick: float, *, adaptive: bool) -> None:
    """Splice every pipe once a tick until each has given all its bytes."""
    half_read = min(PIPE_SIZE, READ_SIZE) // 2  # minderd's PipeReader: what batching allows
    interval, last = tick, time.monotonic()
    while left:
        time.sleep(interval)
        now, busiest = time.monotonic(), 0.0
        for r in list(left):
            moved = _splice(r, pipes[r])
            busiest = max(busiest, moved / max(now - last, 1e-6) / half_read)
            left[r] -= moved
            if left[r] <= 0:
                del left[r]
        last = now
        if adaptive:
            interval = readbatch.next_interval(
                interval, busiest, tick, readbatch.MAX_INTERVAL
            )


def _splice(src: int, dst: int) -> int:
    try:
        return os.splice(src, dst, CHUNK, flags=os.SPLICE_F_NONBLOCK | os.SPLICE_F_MOVE)
    except BlockingIOError:
        return 0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.line_floor")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--tick", type=float, default=2.0, help="ms between reads (tick loops)")
    ap.add_argument("--modes", default="epoll,tick,adaptive", help="the loops to run")
    args = ap.parse_args(argv)
    modes = args.modes.split(",")
    results: dict[str, list[tuple[float, float]]] = {m: [] for m in modes}
    for rep in range(args.reps):
        for mode in modes if rep % 2 == 0 else modes[::-1]:
            with tempfile.TemporaryDirectory(prefix="minder-linefloor-") as tmp:
                cpu, mib_s = one_run(Path(tmp), mode, args.tick / 1000)
            results[mode].append((cpu, mib_s))
            print(f"rep {rep + 1} {mode:8}: {cpu:.3f} CPU s/GiB, {mib_s:.0f} MiB/s", flush=True)
    for mode, runs in results.items():
        print(f"median {mode:8}: {median([c for c, _ in runs]):.3f} CPU s/GiB, "
              f"{median([m for _, m in runs]):.0f} MiB/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
