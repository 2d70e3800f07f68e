"""logs: how fast the daemon moves child stdout into log files.

Writers emit a deterministic stream of 100-byte numbered lines as fast as
the pipe takes it: the stream is written once into a file in the run's temp
dir before the daemon starts (bench/logstream.py), and every writer is
bench/children/sendfile.py splicing that file to its stdout, so the writer
is not what is measured. The clock starts just before startAllProcesses
and stops when the last line of every stream is in its log file (polled
every 20 ms by reading the file tails, which costs the daemon nothing).
Afterwards every kept byte is checked against the regenerated stream, so
"lost bytes" is a real count, not an estimate.

Before the clock starts, the free memory the logs will fill is put in the
same state for both daemons (logstream.prepare_memory; ``BENCH_LOG_MEMORY``
= cold, the default, or warm): the copy into the page cache is most of a
log's cost, and on this VM it is 5-10x dearer into memory that was given
back to the host than into memory freed a moment ago. CPU is read from
schedstat just before startAllProcesses and as soon as every stream is
complete, the same window for both daemons.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from bench import children, confgen, daemons, logstream, procfs
from bench.scenarios.base import Figure, Scenario

FIGURES = (
    Figure("mib_s", "throughput until all bytes in files", "MiB/s"),
    Figure("cpu_s_per_gib", "daemon CPU per GiB", "s"),
    Figure("lost_bytes", "bytes lost or damaged", "B"),
)


def _tail(path: Path, n: int) -> bytes:
    try:
        with open(path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - n))
            return f.read()
    except FileNotFoundError:
        return b""


def _complete(current: Path, last: bytes) -> bool:
    """The stream's last line ends the current file (or its newest backup)."""
    tail = _tail(current, len(last))
    if not tail:
        tail = _tail(current.with_name(current.name + ".1"), len(last))
    return tail == last


def run_logs(
    kind: str, workdir: Path, *, total: int, writers: int, maxbytes: int, backups: int
) -> dict[str, float]:
    per_child = total // writers // logstream.LINE * logstream.LINE
    files = [workdir / "logs" / f"w{i:02d}.log" for i in range(writers)]
    stream = logstream.write_file(workdir / "stream.bin", per_child)  # not timed
    body = "\n".join(
        confgen.program(
            f"w{i:02d}",
            children.command("sendfile.py", stream),
            autostart=False,
            autorestart=False,
            startsecs=0,
            redirect_stderr=True,
            stdout_logfile=files[i],
            stdout_logfile_maxbytes=maxbytes,
            stdout_logfile_backups=backups,
        )
        for i in range(writers)
    )
    conf = confgen.write(workdir, body, programs=writers)
    last = logstream.last_line(per_child)
    with daemons.running(kind, conf) as d:
        logstream.prepare_memory(workdir / "scratch.bin", total)
        cap = 60 + total / 5e6
        cpu0 = procfs.cpu_seconds_precise(d.pid)
        t0 = time.monotonic()
        d.call("supervisor.startAllProcesses", False)
        pending = set(files)
        while pending:
            pending = {f for f in pending if not _complete(f, last)}
            if not pending:
                break
            if time.monotonic() - t0 > cap:
                raise daemons.BenchError(f"{len(pending)} log(s) incomplete after {cap:.0f}s")
            d.check_alive()
            time.sleep(0.02)
        elapsed = time.monotonic() - t0
        cpu = procfs.cpu_seconds_precise(d.pid) - cpu0
    moved = per_child * writers
    lost = sum(logstream.lost_bytes(f, per_child, rotated=maxbytes > 0) for f in files)
    return {
        "mib_s": moved / elapsed / 2**20,
        "cpu_s_per_gib": cpu / (moved / 2**30),
        "lost_bytes": float(lost),
    }


def logs(total: int, writers: int, *, rotate: bool) -> Scenario:
    maxbytes = total // 10 if rotate else 0
    backups = 3 if rotate else 0
    mb = total / 1e6
    if writers == 1:
        name = f"logs 1x{mb:.0f}MB" + (f" rot {maxbytes / 1e6:.0f}MBx3" if rotate else "")
    else:
        name = f"logs {writers}x{mb / writers:.3g}MB"
    return Scenario(
        name=name,
        group="logs",
        run=lambda kind, wd: run_logs(
            kind, wd, total=total, writers=writers, maxbytes=maxbytes, backups=backups
        ),
        figures=FIGURES,
        timeout=180 + total / 2e6,
    )
