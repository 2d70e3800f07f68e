"""The machine's floors: what any supervisor on this box could at best do.

- fork+exec+wait of /bin/true per second (posix_spawn, the fastest path
  Python has), the ceiling for spawn and restart rates;
- the restart floor: the stamp child run back to back by a bare loop, so
  its gap is the cost of start-up of the child alone, no supervisor;
- raw pipe-to-file MiB/s: the same writer child as the log scenarios
  (the pre-generated stream spliced to stdout) read by a bare loop into a
  file, the ceiling for log throughput.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import children, logstream
from bench.sizes import Sizes
from bench.stamps import gaps_ms
from bench.stats import median, percentile


def spawn_rate(seconds: float = 2.0) -> float:
    count = 0
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()
    while time.monotonic() < deadline:
        pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
        os.waitpid(pid, 0)
        count += 1
    return count / (time.monotonic() - t0)


def restart_gap_ms(workdir: Path, runs: int = 20) -> tuple[float, float]:
    stamps = workdir / "stamps"
    argv = children.command("stamp.py", stamps).split()
    for _ in range(runs + 1):
        pid = os.posix_spawn(argv[0], argv, os.environ)
        os.waitpid(pid, 0)
    gaps = gaps_ms(stamps.read_text())
    return median(gaps), percentile(gaps, 95)


def pipe_to_file_mib_s(workdir: Path, total: int) -> float:
    """The writer's stdout read in 1 MiB chunks and written to a file, no parsing."""
    out = workdir / "pipe.out"
    stream = workdir / "stream.bin"
    if not stream.exists() or stream.stat().st_size != total:
        logstream.write_file(stream, total)  # not timed
    argv = children.command("sendfile.py", stream).split()
    t0 = time.monotonic()
    with open(out, "wb", buffering=0) as sink:
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE)
        assert proc.stdout is not None
        fd = proc.stdout.fileno()
        try:
            while data := os.read(fd, 1 << 20):
                sink.write(data)
        finally:
            proc.stdout.close()
            proc.wait(60)
    elapsed = time.monotonic() - t0
    if out.stat().st_size != total:
        raise RuntimeError(f"pipe floor wrote {out.stat().st_size} of {total} bytes")
    return total / elapsed / 2**20


def measure(sizes: Sizes, log: Callable[[str], None]) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        out: dict[str, float] = {"fork_exec_wait_per_s": spawn_rate()}
        out["restart_gap_ms_median"], out["restart_gap_ms_p95"] = restart_gap_ms(workdir)
        out["pipe_to_file_mib_s"] = median(
            [pipe_to_file_mib_s(workdir, sizes.log_bytes) for _ in range(3)]
        )
    except Exception as exc:  # a floor is context, never a reason to stop
        log(f"  floors: FAILED {exc!r}")
        return {}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    log("  floors: " + ", ".join(f"{k}={v:.4g}" for k, v in out.items()))
    return out


def describe(values: dict[str, float]) -> str:
    return (
        "Machine floors (no supervisor): "
        f"fork+exec+wait /bin/true {values['fork_exec_wait_per_s']:.0f}/s; "
        f"stamp child back-to-back gap median {values['restart_gap_ms_median']:.2f} ms "
        f"(p95 {values['restart_gap_ms_p95']:.2f}); "
        f"pipe-to-file {values['pipe_to_file_mib_s']:.0f} MiB/s"
    )
