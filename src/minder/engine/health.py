"""Readiness and liveness of one process, driven by engine timers.

Why a monitor per process with at most three timers and one probe in
flight: the engine is event-driven, so probes are scheduled with
``call_later`` (never a loop per program), a probe runs as a task that
cannot block the loop, and the next one is armed only when the previous
answer is in: a probe slower than its interval delays the next instead of
piling up. Results from an earlier incarnation of the process (a probe
that was in flight across a restart) are recognised by a generation number
and dropped.

Readiness: without ``ready_check`` a process is ready when it is RUNNING
(today's meaning). With one, it is probed every ``ready_interval`` from
spawn until the first success, or told by READY=1 on its notify socket;
``ready_deadline`` after spawn without success, the owner is told the
start failed. Liveness starts once ready, counts failures only after
``health_start_period``, and after ``health_retries`` consecutive failures
asks the owner for a restart with the last answer. With ``notify`` the
process must send WATCHDOG=1 at least every ``health_interval``; each
silent interval is one failure.

The monitor decides nothing about the process's state: it reports to its
owner (the ProcessRunner), which restarts through the normal stop path.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from minder.engine.clock import Clock
from minder.engine.notify import NotifyMessage
from minder.engine.probes import Probe, ProbeResult
from minder.model.specs import HealthSpec
from minder.records import mutable_record


@mutable_record
class HealthCallbacks:
    """What the monitor tells its owner."""

    ready_changed: Callable[[bool, str], None]
    start_failed: Callable[[str], None]  # the ready deadline passed
    unhealthy: Callable[[str], None]  # health_retries consecutive failures
    log: Callable[[str, str], None]  # (level, message)


class HealthMonitor:
    def __init__(
        self,
        spec: HealthSpec,
        loop: asyncio.AbstractEventLoop,
        clock: Clock,
        callbacks: HealthCallbacks,
        *,
        ready_probe: Probe | None,
        health_probe: Probe | None,
    ) -> None:
        self.spec = spec
        self._loop = loop
        self._clock = clock
        self._cb = callbacks
        self._ready_probe = ready_probe
        self._health_probe = health_probe
        self.ready = False
        self.alive = False  # between spawn and exit
        self.status = ""  # the last STATUS= from sd_notify
        self.failures = 0  # consecutive liveness failures
        self.last_answer = ""  # the last probe's answer (readiness or liveness)
        self._generation = 0
        self._ready_since = 0.0
        self._probe_timer: asyncio.TimerHandle | None = None
        self._deadline_timer: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[ProbeResult] | None = None
        self._cancel: Callable[[], None] | None = None  # a probe on the callback path

    # --- what the owner tells the monitor -----------------------------------

    def spawned(self) -> None:
        self._reset()
        self.alive = True
        ready = self.spec.ready
        if ready is None:
            return
        if self.spec.ready_deadline > 0:
            self._deadline_timer = self._loop.call_later(
                self.spec.ready_deadline, self._deadline_passed, self._generation)
        if self._ready_probe is not None:
            self._arm(0.0, self._probe_ready)

    def running(self) -> None:
        """The process passed startsecs: ready now unless a ready_check decides."""
        if self.spec.ready is None and self.alive and not self.ready:
            self._become_ready("RUNNING")

    def gone(self, why: str) -> None:
        """The process is stopping or has exited: nothing to probe any more."""
        was_ready = self.ready
        self._reset()
        if was_ready:
            self._cb.ready_changed(False, why)

    def notified(self, message: NotifyMessage) -> None:
        if not self.alive:
            return
        if message.status is not None:
            self.status = message.status
        notify_ready = self.spec.ready is not None and self.spec.ready.kind == "notify"
        if message.ready and notify_ready and not self.ready:
            self._become_ready("READY=1" + (f" ({self.status})" if self.status else ""))
        if message.watchdog and self._watching_notify():
            self.failures = 0
            self.last_answer = "WATCHDOG=1"
            self._arm(self._health_interval(), self._watchdog_missed)

    def close(self) -> None:
        self._reset()

    # --- readiness --------------------------------------------------------

    def _become_ready(self, answer: str) -> None:
        self.ready = True
        self.last_answer = answer
        self._ready_since = self._clock.monotonic()
        self._cancel_deadline()
        self._cb.ready_changed(True, answer)
        if self._health_probe is not None:
            self._arm(max(self.spec.health_start_period, self._health_interval()),
                      self._probe_health)
        elif self._watching_notify():
            self._arm(max(self.spec.health_start_period, 0) + self._health_interval(),
                      self._watchdog_missed)

    def _probe_ready(self) -> None:
        assert self._ready_probe is not None
        self._run(self._ready_probe, self._ready_answer)

    def _ready_answer(self, result: ProbeResult) -> None:
        self.last_answer = result.answer
        if result.ok:
            self._become_ready(result.answer)
        else:
            assert self.spec.ready is not None
            self._arm(self.spec.ready.interval, self._probe_ready)

    def _deadline_passed(self, generation: int) -> None:
        self._deadline_timer = None
        if generation != self._generation or self.ready or not self.alive:
            return
        last = f"; last answer: {self.last_answer}" if self.last_answer else ""
        reason = f"not ready within {self.spec.ready_deadline:g}s (ready_deadline){last}"
        self._stop_probing()
        self._cb.start_failed(reason)

    # --- liveness ---------------------------------------------------------

    def _health_interval(self) -> float:
        return self.spec.health.interval if self.spec.health is not None else 0.0

    def _watching_notify(self) -> bool:
        return self.spec.health is not None and self.spec.health.kind == "notify" and self.ready

    def _probe_health(self) -> None:
        assert self._health_probe is not None
        self._run(self._health_probe, self._health_answer)

    def _health_answer(self, result: ProbeResult) -> None:
        self.last_answer = result.answer
        if result.ok:
            self.failures = 0
        else:
            self._failed(result.answer)
            if not self.alive:
                return
        self._arm(self._health_interval(), self._probe_health)

    def _watchdog_missed(self) -> None:
        interval = self._health_interval()
        self._failed(f"no WATCHDOG=1 for {interval:g}s")
        if self.alive:
            self._arm(interval, self._watchdog_missed)

    def _failed(self, answer: str) -> None:
        if self._clock.monotonic() - self._ready_since < self.spec.health_start_period:
            return  # still in the start period: Docker's rule, failures don't count
        self.failures += 1
        self._cb.log("debug", f"health check failed ({self.failures}/"
                     f"{self.spec.health_retries}): {answer}")
        if self.failures >= self.spec.health_retries:
            self._stop_probing()
            self._cb.unhealthy(f"{self.failures} consecutive failed health checks; "
                               f"last answer: {answer}")

    # --- timers and the one probe in flight --------------------------------

    def _arm(self, delay: float, action: Callable[[], None]) -> None:
        if self._probe_timer is not None:
            self._probe_timer.cancel()
        generation = self._generation

        def fire() -> None:
            self._probe_timer = None
            if generation == self._generation:
                action()

        self._probe_timer = self._loop.call_later(delay, fire)

    def _run(self, probe: Probe, answer: Callable[[ProbeResult], None]) -> None:
        generation = self._generation
        start = getattr(probe, "start", None)  # TcpProbe's task-free path
        if start is not None:

            def finished(result: ProbeResult) -> None:
                self._cancel = None
                if generation == self._generation:
                    answer(result)

            self._cancel = start(self._loop, finished)
            if self._cancel is not None:
                return

        def done(task: asyncio.Task[ProbeResult]) -> None:
            if self._task is task:
                self._task = None
            if task.cancelled() or generation != self._generation:
                return
            exc = task.exception()
            result = task.result() if exc is None else ProbeResult(False, f"probe error: {exc}")
            answer(result)

        task = self._loop.create_task(probe.check())
        self._task = task
        task.add_done_callback(done)

    def _cancel_deadline(self) -> None:
        if self._deadline_timer is not None:
            self._deadline_timer.cancel()
            self._deadline_timer = None

    def _stop_probing(self) -> None:
        self._generation += 1
        if self._probe_timer is not None:
            self._probe_timer.cancel()
            self._probe_timer = None
        if self._task is not None:
            with contextlib.suppress(RuntimeError):
                self._task.cancel()
            self._task = None
        if self._cancel is not None:
            self._cancel()
            self._cancel = None

    def _reset(self) -> None:
        self._stop_probing()
        self._cancel_deadline()
        self.ready = False
        self.alive = False
        self.failures = 0
