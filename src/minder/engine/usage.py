"""CPU, memory and fds of the daemon and its children, sampled by their owner.

This module is the one place that reads a process's (or a set of
processes') CPU and RSS: ``/metrics`` (``UsageReader``), the per-process
load of the API and web UI (``LoadSampler``), and the summed RSS that
containment and ``memory_limit`` use where there is no cgroup
``memory.current`` (``rss_bytes``). Deciding what to do with the numbers
(a restart over ``memory_limit``) belongs to engine/memwatch.py.

The engine knows which pids are its children right now, so it samples them
(for ``/metrics``) rather than a front end reading raw pids. No threads:
sampling runs on the event loop but yields every ``SAMPLE_BATCH`` pids, so a
big scrape never stalls RPC for long (500 processes: about 40 ms, like
getAllProcessInfo).

On Linux each process is three small reads of /proc (stat, statm, the fd
directory): the same numbers psutil reads, without psutil's ~1 MiB, which
the daemon would keep for good after its first scrape. Where there is no
/proc, psutil reads them.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Iterable, Sequence

from minder.engine.api import Usage
from minder.engine.proctree import stat_fields

SAMPLE_BATCH = 250  # pids sampled between two yields to the event loop
PROCFS = os.path.exists("/proc/self/stat")
_TICKS = os.sysconf("SC_CLK_TCK")
_PAGE = os.sysconf("SC_PAGE_SIZE")
_boot_time: float | None = None


def _boot() -> float:
    """The boot time (epoch), /proc/stat's btime, read once."""
    global _boot_time
    if _boot_time is None:
        _boot_time = 0.0
        with open("/proc/stat", "rb") as f:
            for line in f:
                if line.startswith(b"btime "):
                    _boot_time = float(line.split()[1])
                    break
    return _boot_time


def read_proc_usage(pid: int) -> Usage | None:
    """One process from /proc; None if it is gone or a zombie."""
    fields = stat_fields(pid)  # [0] the state, [11] utime, [12] stime, [19] start ticks
    if fields is None or fields[0] == b"Z":
        return None
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            rss_pages = int(f.read().split()[1])
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS
        start = _boot() + int(fields[19]) / _TICKS
    except (OSError, IndexError, ValueError):
        return None
    try:
        fds: int | None = len(os.listdir(f"/proc/{pid}/fd"))
    except PermissionError:
        fds = None
    except OSError:
        return None  # gone meanwhile
    return Usage(cpu, rss_pages * _PAGE, fds, start)


def read_psutil_usage(pid: int) -> Usage | None:
    """One process through psutil (systems without /proc); None if gone or not ours."""
    import psutil

    try:
        proc = psutil.Process(pid)
        with proc.oneshot():
            times = proc.cpu_times()
            rss = int(proc.memory_info().rss)
            start = float(proc.create_time())
            try:
                fds: int | None = int(proc.num_fds())
            except psutil.AccessDenied:
                fds = None
    except (psutil.NoSuchProcess, psutil.AccessDenied):  # ZombieProcess is a NoSuchProcess
        return None
    return Usage(float(times.user + times.system), rss, fds, start)


def sample_usage(pid: int) -> Usage | None:
    return read_proc_usage(pid) if PROCFS else read_psutil_usage(pid)


def rss_of(pid: int) -> int | None:
    """The resident size of one process in bytes; None if it is gone."""
    if not PROCFS:
        usage = read_psutil_usage(pid)
        return usage.rss_bytes if usage is not None else None
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except (OSError, IndexError, ValueError):
        return None


def rss_bytes(pids: Iterable[int]) -> int:
    """The summed RSS of ``pids`` (a program's members); gone pids count 0."""
    return sum(rss_of(pid) or 0 for pid in pids)


async def sample_usages(
    pids: Sequence[int], sample: Callable[[int], Usage | None] = sample_usage
) -> dict[int, Usage]:
    """Sample every pid, yielding to the loop between batches (no threads)."""
    out: dict[int, Usage] = {}
    for i, pid in enumerate(pids):
        if i and i % SAMPLE_BATCH == 0:
            await asyncio.sleep(0)
        usage = sample(pid)
        if usage is not None:
            out[pid] = usage
    return out


class LoadSampler:
    """CPU share since the previous reading of the same pid, and its RSS.

    Why a previous reading is kept per pid: "CPU %" is the CPU time used
    between two readings divided by the wall time between them, so each
    reading (an API call, a web UI refresh) reports the share since the
    last one; the first reading of a pid only starts the interval (0.0).
    The process's start time tells a reused pid from the one we read.
    """

    PRUNE_AT = 1024  # remembered pids before the dead ones are dropped

    def __init__(self, sample: Callable[[int], Usage | None] = sample_usage,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._sample = sample
        self._clock = clock
        self._last: dict[int, tuple[float, float, float]] = {}  # pid: (cpu s, when, start)

    def load(self, pid: int) -> tuple[float, int] | None:
        """(CPU % of one core since the previous reading, RSS bytes); None if gone."""
        if pid <= 0:
            return None
        usage = self._sample(pid)
        if usage is None:
            self._last.pop(pid, None)
            return None
        now = self._clock()
        last = self._last.get(pid)
        percent = 0.0
        if last is not None and last[2] == usage.start_time and now > last[1]:
            percent = round(max(0.0, usage.cpu_seconds - last[0]) / (now - last[1]) * 100, 1)
        self._last[pid] = (usage.cpu_seconds, now, usage.start_time)
        if len(self._last) > self.PRUNE_AT:
            self._prune()
        return percent, usage.rss_bytes

    def _prune(self) -> None:
        for pid in [p for p in self._last if self._sample(p) is None]:
            del self._last[pid]


class UsageReader:
    """Samples the children of one scrape (the Supervisor holds one)."""

    async def read_all(self, pids: Sequence[int]) -> dict[int, Usage]:
        return await sample_usages(pids)
