"""The ``memory_limit`` watch: when a program over its limit is restarted.

This module only decides; reading memory is not its job. What a program
uses comes from the ``memory_of`` callable the Supervisor passes in: the
containment layer's ``memory_usage``, which reads the program's cgroup
``memory.current`` where there is one (so children that escaped the tree
count) and sums its members' RSS through engine/usage.py otherwise.

``memory_limit`` is checked by one timer for every program that sets it
(``MEMORY_CHECK_INTERVAL``), not one per program.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol

from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.process import ProcessRunner

MEMORY_CHECK_INTERVAL = 2.0


class MemoryReader(Protocol):
    def __call__(self, runner: ProcessRunner) -> int | None: ...


def _size(bytes_: int) -> str:
    return f"{bytes_ / (1024 * 1024):.1f}MB"


class MemoryWatch:
    """One timer that checks every process with a ``memory_limit``."""

    def __init__(self, loop: asyncio.AbstractEventLoop, memory_of: MemoryReader,
                 runners: Callable[[], Iterable[ProcessRunner]],
                 interval: float = MEMORY_CHECK_INTERVAL) -> None:
        self._loop = loop
        self._memory_of = memory_of
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
            used = self._memory_of(runner)
            if used is not None and used > limit:
                runner.vitals.memory_exceeded(
                    f"memory limit exceeded: {_size(used)} > memory_limit {_size(limit)}")
        self.refresh()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
