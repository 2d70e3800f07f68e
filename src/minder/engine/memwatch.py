"""CPU and memory of supervised processes, and the ``memory_limit`` watch.

Why psutil objects are kept per pid: ``cpu_percent`` is the CPU used
between two readings of the same ``psutil.Process``, so each reading
(an API call, a /metrics scrape) reports the share since the previous one.

``memory_limit`` is checked by one timer for every program that sets it
(``MEMORY_CHECK_INTERVAL``), not one per program. What it reads goes
through ``MemoryReader`` (``UsageSampler.memory_reader``): the Supervisor
plugs in the containment layer's ``memory_usage``, which reads the
program's cgroup ``memory.current`` where there is one (so children that
escaped the tree count) and sums the RSS of its members otherwise; the
default, for an engine without containment, sums the process tree's RSS.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import psutil

from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.process import ProcessRunner

MEMORY_CHECK_INTERVAL = 2.0


@dataclass(frozen=True, slots=True)
class Usage:
    cpu_percent: float  # of one core, since the previous reading
    rss: int  # bytes, the process itself


class MemoryReader(Protocol):
    def __call__(self, runner: ProcessRunner) -> int | None: ...


def _size(bytes_: int) -> str:
    return f"{bytes_ / (1024 * 1024):.1f}MB"


class UsageSampler:
    def __init__(self) -> None:
        self._procs: dict[int, psutil.Process] = {}
        self.memory_reader: MemoryReader = self.tree_rss

    def _process(self, pid: int) -> psutil.Process | None:
        proc = self._procs.get(pid)
        if proc is None:
            try:
                proc = psutil.Process(pid)
            except psutil.Error:
                return None
            proc.cpu_percent(None)  # the first reading only starts the interval
            self._procs[pid] = proc
        return proc

    def usage(self, pid: int) -> Usage | None:
        if pid <= 0:
            return None
        proc = self._process(pid)
        if proc is None:
            return None
        try:
            with proc.oneshot():
                return Usage(proc.cpu_percent(None), proc.memory_info().rss)
        except psutil.Error:
            self._procs.pop(pid, None)
            return None

    def tree_rss(self, runner: ProcessRunner) -> int | None:
        """RSS of the process and every descendant (psutil; no cgroup)."""
        proc = self._process(runner.pid) if runner.pid > 0 else None
        if proc is None:
            return None
        total = 0
        try:
            members = [proc, *proc.children(recursive=True)]
        except psutil.Error:
            return None
        for member in members:
            try:
                total += member.memory_info().rss
            except psutil.Error:
                continue
        return total

    def forget(self, live_pids: Iterable[int]) -> None:
        keep = set(live_pids)
        for pid in [p for p in self._procs if p not in keep]:
            del self._procs[pid]


class MemoryWatch:
    """One timer that checks every process with a ``memory_limit``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sampler: UsageSampler,
                 runners: Callable[[], Iterable[ProcessRunner]],
                 interval: float = MEMORY_CHECK_INTERVAL) -> None:
        self._loop = loop
        self._sampler = sampler
        self._runners = runners
        self._interval = interval
        self._timer: asyncio.TimerHandle | None = None

    def refresh(self) -> None:
        """Arm the timer if some process has a limit, disarm it otherwise."""
        wanted = any(r.spec.resources.memory_limit for r in self._runners())
        if wanted and self._timer is None:
            self._timer = self._loop.call_later(self._interval, self._check)
        elif not wanted and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _check(self) -> None:
        self._timer = None
        for runner in list(self._runners()):
            limit = runner.spec.resources.memory_limit
            if not limit or runner.state not in (ProcessState.STARTING, ProcessState.RUNNING):
                continue
            used = self._sampler.memory_reader(runner)
            if used is not None and used > limit:
                runner.vitals.memory_exceeded(
                    f"memory limit exceeded: {_size(used)} > memory_limit {_size(limit)}")
        self.refresh()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
