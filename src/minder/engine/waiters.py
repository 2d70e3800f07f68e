"""The futures that callers of a process await until its machine gets somewhere.

Separate from engine/process.py because waiting is its own job: the runner
drives the machine and performs effects; this keeps the callers (startProcess
with wait, a group stop, a rolling restart) that wait for a state and resolves
them after each change, so nobody polls. Everything runs on the event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from minder.model import machine as mc
from minder.protocol.faults import SupervisorFault
from minder.protocol.states import STOPPED_STATES

# A waiter's predicate: True = done, a fault = fail with it, None = keep waiting.
Predicate = Callable[[mc.Machine], "bool | SupervisorFault | None"]


def is_stopped(m: mc.Machine) -> bool | None:
    return True if m.state in STOPPED_STATES else None


class Waiters:
    """Pending (predicate, future) pairs of one process."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._pending: list[tuple[Predicate, asyncio.Future[None]]] = []

    def check(self, machine: mc.Machine) -> None:
        """Resolve or fail every waiter whose predicate now decides."""
        if not self._pending:
            return
        keep: list[tuple[Predicate, asyncio.Future[None]]] = []
        for predicate, future in self._pending:
            if future.done():
                continue
            verdict = predicate(machine)
            if verdict is None:
                keep.append((predicate, future))
            elif isinstance(verdict, SupervisorFault):
                future.set_exception(verdict)
            else:
                future.set_result(None)
        self._pending = keep

    def future_until(self, machine: mc.Machine, predicate: Predicate) -> asyncio.Future[None]:
        """A future that ``predicate`` resolves (or fails) as the machine moves."""
        future: asyncio.Future[None] = self._loop.create_future()
        verdict = predicate(machine)
        if isinstance(verdict, SupervisorFault):
            future.set_exception(verdict)
        elif verdict:
            future.set_result(None)
        else:
            self._pending.append((predicate, future))
        return future

    def stopped_future(self, machine: mc.Machine) -> asyncio.Future[None] | None:
        """A future that resolves when the process is stopped; None if it already is."""
        if machine.state in STOPPED_STATES:
            return None
        future: asyncio.Future[None] = self._loop.create_future()
        self._pending.append((is_stopped, future))
        return future

    def cancel_all(self) -> None:
        """The process is removed: nobody will ever resolve these."""
        for _, future in self._pending:
            if not future.done():
                future.cancel()
        self._pending = []
