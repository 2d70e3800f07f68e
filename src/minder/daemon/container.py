"""Container mode: minderd as a container's init (PID 1, or ``--container``).

What an init must do that a daemon need not (tini, dumb-init, s6-overlay):
- stay in the foreground (nothing would wait for a detached PID 1);
- reap every orphan, which the engine does as PID 1 or as a subreaper;
- keep to the runtime's grace period: ``docker stop`` sends SIGTERM and
  SIGKILLs after 10 s, so programs are stopped in priority order but
  whatever is still running after ``shutdown_timeout`` (9 s by default
  here) is SIGKILLed, and minderd exits before the runtime kills it;
- forward the signals that mean something to the programs (SIGUSR1 goes to
  every running program; SIGTERM/SIGINT/SIGQUIT stop them in order, SIGHUP
  reloads, SIGUSR2 reopens logs, as outside a container);
- exit with a meaningful code: an ``essential=true`` program that ends
  for good (engine/essential.py) decides it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal

from minder.engine.supervisor import Supervisor
from minder.model.events import DomainEvent, SupervisorStateChanged
from minder.model.specs import DaemonSpec
from minder.protocol.faults import SupervisorFault
from minder.protocol.states import SupervisorState

CONTAINER_SHUTDOWN_TIMEOUT = 9.0  # under docker's and kubernetes' default 10 s grace
FORWARDED = (signal.SIGUSR1,)


def is_container(daemon: DaemonSpec) -> bool:
    return daemon.container or os.getpid() == 1


def shutdown_timeout(daemon: DaemonSpec) -> float:
    """The bound on shutdown: the configured one, else 9 s in a container, else none."""
    if daemon.shutdown_timeout > 0:
        return daemon.shutdown_timeout
    return CONTAINER_SHUTDOWN_TIMEOUT if is_container(daemon) else 0.0


class ShutdownBound:
    """SIGKILLs what is left ``timeout`` seconds after shutdown began (0 = never)."""

    EVENTS = (SupervisorStateChanged,)  # what on_event reads

    def __init__(self, supervisor: Supervisor, timeout: float) -> None:
        self._supervisor = supervisor
        self._timeout = timeout
        self._timer: asyncio.TimerHandle | None = None

    def on_event(self, event: DomainEvent) -> None:
        if (
            self._timeout <= 0
            or self._timer is not None
            or not isinstance(event, SupervisorStateChanged)
            or event.state not in (SupervisorState.SHUTDOWN, SupervisorState.RESTARTING)
        ):
            return
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._timeout, self._expired)

    def _expired(self) -> None:
        sup = self._supervisor
        sup.log.warn(f"shutdown_timeout ({self._timeout:g}s) reached: killing what is left")
        sup.kill_remaining()

    def cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()


def forward(supervisor: Supervisor, signum: int) -> int:
    """Send ``signum`` to every running program; returns how many got it."""
    sent = 0
    for snap in supervisor.snapshots():
        runner = supervisor.find_runner(snap.group, snap.name)
        if snap.pid and runner is not None:
            with contextlib.suppress(SupervisorFault):
                runner.signal(signum)
                sent += 1
    return sent
