"""The machine's floors: what any supervisor on this box could at best do.

- fork+exec+wait of /bin/true per second (posix_spawn, the fastest path
  Python has), the ceiling for spawn and restart rates;
- the restart floor: the stamp child run back to back by a bare loop, so
  its gap is the cost of start-up of the child alone, no supervisor;
- raw pipe-to-file MiB/s: the same writer child as the log scenarios
  (the pre-generated stream spliced to stdout) read by a bare loop into a
  file, the ceiling for log throughput;
- the splice floor: the same child spliced into a file by a bare loop
  through a 1 MiB pipe, with the memory prepared as the log scenarios
  prepare it (logstream.prepare_memory): its MiB/s and CPU seconds per GiB
  are mostly the kernel's copy into the page cache; measured plain and
  with drop-behind (fadvise DONTNEED 8 MiB behind the end every 4 MiB, as
  minderd's logs do), which recycles pages instead of filling fresh ones;
- the stop floors: N sleepers (the stopall scenario's children, with their
  stdout and stderr pipes) sent SIGTERM and reaped by a bare loop (kill,
  then a blocking waitpid each), and by the least an event loop must do
  (asyncio readers on each child's pidfd and two pipes, each callback only
  reaping or closing). Most of either is the kernel tearing the children
  down; no supervisor that watches its children's output can stop them
  faster than the second;
- the interpreter floor: wall time of ``python -S -c pass`` with the bench's
  interpreter (the one minderctl runs on), the least any Python command
  line can take; and of ``python -c pass``, which adds the ``site`` import
  (the venv's .pth files) that every installed console script, minderctl
  included, pays.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import os
import shutil
import signal
import subprocess
import sys
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


def spawn_rate_holding_fds(n: int, per_child: int = 3) -> float:
    """fork+exec+wait of ``n`` /bin/true while keeping ``per_child`` descriptors per spawn.

    A supervisor in one process keeps its end of each child's pipes (and a
    pidfd) open, and every fork/vfork copies that descriptor table and every
    exec closes the child's copy: spawn number ``i`` pays for ~``per_child*i``
    descriptors. This is the floor of starting ``n`` programs from one
    process (minderd's 5,000 with output discarded: stdin and stdout pipe
    ends and a pidfd); the bare loop above holds none.
    """
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = per_child * n + 256
    if hard != resource.RLIM_INFINITY:
        n = min(n, (hard - 256) // per_child)
        wanted = min(wanted, hard)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, wanted), hard))
    held: list[int] = []
    try:
        t0 = time.monotonic()
        for _ in range(n):
            pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
            os.waitpid(pid, 0)
            read_end, write_end = os.pipe2(os.O_CLOEXEC)
            held += [read_end, write_end]
            held += [os.open("/dev/null", os.O_RDONLY | os.O_CLOEXEC)
                     for _ in range(per_child - 2)]
        return n / (time.monotonic() - t0)
    finally:
        for fd in held:
            os.close(fd)
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def interpreter_ms(runs: int = 20, *, site: bool = False) -> float:
    """Median wall time of the interpreter's start-up and exit (``-S`` unless ``site``)."""
    argv = [sys.executable, "-c", "pass"] if site else [sys.executable, "-S", "-c", "pass"]
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(argv, check=True)
        times.append((time.perf_counter() - t0) * 1000)
    return median(times)


def restart_gap_ms(
    workdir: Path, runs: int = 20, argv: list[str] | None = None
) -> tuple[float, float]:
    """(median, p95) exit -> next start gap of a child run back to back by a bare loop.

    ``argv`` must make the child stamp into ``workdir/stamps``; by default it
    is the Python stamp child the supervisord comparison uses.
    """
    stamps = workdir / "stamps"
    argv = argv or children.command("stamp.py", stamps).split()
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


def splice_floor(workdir: Path, total: int, *, drop: bool = False) -> tuple[float, float]:
    """(MiB/s, CPU s per GiB) of a bare pipe → file splice loop; see the module docstring."""
    out = workdir / "splice.out"
    stream = workdir / "stream.bin"
    if not stream.exists() or stream.stat().st_size != total:
        logstream.write_file(stream, total)  # not timed
    argv = children.command("sendfile.py", stream).split()
    logstream.prepare_memory(workdir / "scratch.bin", total)
    r, w = os.pipe2(os.O_CLOEXEC)
    with contextlib.suppress(OSError):  # 1 MiB needs root or a raised pipe-max-size
        fcntl.fcntl(r, 1031, 1 << 20)  # F_SETPIPE_SZ
    dst = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
    try:
        cpu0 = time.process_time()
        t0 = time.monotonic()
        proc = subprocess.Popen(argv, stdout=w)
        os.close(w)
        w = -1
        end = 0
        mark = 12 << 20
        while moved := os.splice(r, dst, 1 << 20):
            end += moved
            if drop and end >= mark:
                mark = end + (4 << 20)
                os.posix_fadvise(dst, 0, end - (8 << 20), os.POSIX_FADV_DONTNEED)
        elapsed = time.monotonic() - t0
        cpu = time.process_time() - cpu0
        proc.wait(60)
    finally:
        for fd in (r, w, dst):
            if fd >= 0:
                os.close(fd)
    if out.stat().st_size != total:
        raise RuntimeError(f"splice floor wrote {out.stat().st_size} of {total} bytes")
    out.unlink()
    return total / elapsed / 2**20, cpu / (total / 2**30)


def _sleepers(n: int) -> list[subprocess.Popen[bytes]]:
    procs: list[subprocess.Popen[bytes]] = []
    try:
        for _ in range(n):
            procs.append(
                subprocess.Popen(
                    ["/bin/sleep", "infinity"], stdout=subprocess.PIPE, stderr=subprocess.PIPE
                )
            )
        _settle(procs, time.monotonic() + 30)
    except BaseException:
        _kill_all(procs)
        raise
    return procs


def _settle(procs: list[subprocess.Popen[bytes]], deadline: float) -> None:
    """Wait until every child sleeps in its own program, as the scenario's have for
    a second: a child still loading its libraries would die at a different cost."""
    waiting = [p.pid for p in procs]
    while waiting:
        waiting = [pid for pid in waiting if not _asleep_in_sleep(pid)]
        if waiting and time.monotonic() > deadline:
            raise RuntimeError(f"{len(waiting)} sleepers never settled")
        if waiting:
            time.sleep(0.01)


def _asleep_in_sleep(pid: int) -> bool:
    with open(f"/proc/{pid}/stat", "rb") as f:
        stat = f.read()
    comm = stat[stat.index(b"(") + 1 : stat.rindex(b")")]
    return comm == b"sleep" and stat[stat.rindex(b")") + 2 : stat.rindex(b")") + 3] == b"S"


def _kill_all(procs: list[subprocess.Popen[bytes]]) -> None:
    """Cleanup after a floor, whatever happened: kill by pid, reap, close the pipes."""
    for proc in procs:
        if proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        for pipe in (proc.stdout, proc.stderr):
            if pipe is not None:
                pipe.close()


def stop_bare_ms(n: int) -> float:
    """SIGTERM to n sleepers, then a blocking waitpid for each: ms until all reaped."""
    procs = _sleepers(n)
    try:
        t0 = time.perf_counter()
        for proc in procs:
            os.kill(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
        return (time.perf_counter() - t0) * 1000
    finally:
        _kill_all(procs)


def stop_watched_ms(n: int) -> float:
    """The same through an event loop watching each child's pidfd and pipes."""
    return asyncio.run(_stop_watched(n))


async def _stop_watched(n: int) -> float:
    loop = asyncio.get_running_loop()
    procs = _sleepers(n)
    pidfds: list[int] = []
    all_reaped = loop.create_future()
    left = n

    def reaped(proc: subprocess.Popen[bytes], pidfd: int) -> None:
        nonlocal left
        loop.remove_reader(pidfd)
        proc.poll()
        left -= 1
        if left == 0:
            all_reaped.set_result(None)

    def closed(fd: int) -> None:
        loop.remove_reader(fd)

    try:
        for proc in procs:
            pidfd = os.pidfd_open(proc.pid)
            pidfds.append(pidfd)
            loop.add_reader(pidfd, reaped, proc, pidfd)
            for pipe in (proc.stdout, proc.stderr):
                assert pipe is not None
                loop.add_reader(pipe.fileno(), closed, pipe.fileno())
        t0 = time.perf_counter()
        for pidfd in pidfds:
            signal.pidfd_send_signal(pidfd, signal.SIGTERM)
        await asyncio.wait_for(all_reaped, 30)
        return (time.perf_counter() - t0) * 1000
    finally:
        for proc in procs:
            for pipe in (proc.stdout, proc.stderr):
                if pipe is not None and not pipe.closed:
                    loop.remove_reader(pipe.fileno())
        for pidfd in pidfds:
            loop.remove_reader(pidfd)
            os.close(pidfd)
        _kill_all(procs)


def measure(sizes: Sizes, log: Callable[[str], None]) -> dict[str, float]:
    workdir = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    try:
        out: dict[str, float] = {"fork_exec_wait_per_s": spawn_rate()}
        out["fork_exec_wait_holding_fds_per_s"] = spawn_rate_holding_fds(sizes.scale_n)
        out["restart_gap_ms_median"], out["restart_gap_ms_p95"] = restart_gap_ms(workdir)
        out["pipe_to_file_mib_s"] = median(
            [pipe_to_file_mib_s(workdir, sizes.log_bytes) for _ in range(3)]
        )
        for key, drop in (("splice_floor", False), ("splice_drop_floor", True)):
            runs = [splice_floor(workdir, sizes.log_bytes, drop=drop) for _ in range(3)]
            out[f"{key}_mib_s"] = median([m for m, _ in runs])
            out[f"{key}_cpu_s_per_gib"] = median([c for _, c in runs])
        out["stop_bare_ms"] = median([stop_bare_ms(sizes.stopall_n) for _ in range(3)])
        out["stop_watched_ms"] = median([stop_watched_ms(sizes.stopall_n) for _ in range(3)])
        out["interpreter_ms"] = interpreter_ms()
        out["interpreter_site_ms"] = interpreter_ms(site=True)
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
        f"fork+exec+wait /bin/true {values['fork_exec_wait_per_s']:.0f}/s, "
        f"{values.get('fork_exec_wait_holding_fds_per_s', 0):.0f}/s over the scale scenario's "
        "N spawns holding 3 descriptors per spawn; "
        f"stamp child back-to-back gap median {values['restart_gap_ms_median']:.2f} ms "
        f"(p95 {values['restart_gap_ms_p95']:.2f}); "
        f"pipe-to-file {values['pipe_to_file_mib_s']:.0f} MiB/s; "
        f"splice floor {values.get('splice_floor_mib_s', 0):.0f} MiB/s at "
        f"{values.get('splice_floor_cpu_s_per_gib', 0):.2f} CPU s/GiB, with drop-behind "
        f"{values.get('splice_drop_floor_mib_s', 0):.0f} MiB/s at "
        f"{values.get('splice_drop_floor_cpu_s_per_gib', 0):.2f} ({logstream.MEMORY} memory); "
        f"stop {values.get('stop_bare_ms', 0):.1f} ms bare, "
        f"{values.get('stop_watched_ms', 0):.1f} ms watched by an event loop; "
        f"bare interpreter start-up (python -S -c pass) {values.get('interpreter_ms', 0):.1f} ms,"
        f" with site (python -c pass) {values.get('interpreter_site_ms', 0):.1f} ms"
    )
