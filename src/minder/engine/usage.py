"""CPU, memory and fds of the daemon and its children, sampled by their owner.

The engine knows which pids are its children right now, so it samples them
(for ``/metrics``) rather than a front end reading raw pids. One
``psutil.Process`` per live pid is kept between samples and read under
``oneshot()``; no threads. Sampling runs on the event loop but yields every
``SAMPLE_BATCH`` pids, so a big scrape never stalls RPC for long (500
processes: about 40 ms, like getAllProcessInfo).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

import psutil

from minder.engine.api import Usage

SAMPLE_BATCH = 250  # pids sampled between two yields to the event loop


def read_usage(proc: psutil.Process) -> Usage | None:
    """One process under ``oneshot()``; None if it is gone (or a zombie) or not ours."""
    try:
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
    try:
        proc = psutil.Process(pid)
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        return None
    return read_usage(proc)


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


class UsageReader:
    """Keeps each pid's ``psutil.Process`` from one scrape to the next.

    Building one reads /proc a further time; reusing it makes a scrape of
    500 processes about 40% cheaper. A pid is read whatever process holds it
    now, exactly as a fresh object would; entries not seen in the last
    scrape are dropped, so the cache never outgrows the process table.
    """

    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}

    async def read_all(self, pids: Sequence[int]) -> dict[int, Usage]:
        kept: dict[int, psutil.Process] = {}

        def sample(pid: int) -> Usage | None:
            proc = self._procs.get(pid)
            if proc is None:
                try:
                    proc = psutil.Process(pid)
                except (psutil.NoSuchProcess, psutil.AccessDenied):
                    return None
            usage = read_usage(proc)
            if usage is not None:
                kept[pid] = proc
            return usage

        usages = await sample_usages(pids, sample)
        self._procs = kept
        return usages
