"""What minder knows about one process beyond supervisord's state.

Readiness (through its HealthMonitor), its notify socket, and the counters
every interface shows: restarts (every spawn after the first, whoever asked
for it, like PM2's ↺), health and memory restarts, and the last exit reason
in words ("exit status 1", "terminated by SIGKILL (memory limit …)").

The ProcessRunner owns one of these and calls ``spawned``/``changed``/
``exited``; the monitor's verdicts come back through ``on_unhealthy`` and
``on_start_failed``, which the engine's control layer turns into a restart
through the normal stop path.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Callable
from typing import TYPE_CHECKING

from minder.engine.api import VitalsSnapshot
from minder.engine.health import HealthCallbacks, HealthMonitor
from minder.engine.notify import NotifyDirectory, NotifyMessage, NotifySocket
from minder.engine.probes import Probe, make_probe
from minder.engine.snapbuild import new_vitals
from minder.model.events import ProcessReadinessChanged
from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.process import ProcessRunner

_NOT_ALIVE = frozenset({
    ProcessState.STOPPING, ProcessState.EXITED, ProcessState.BACKOFF,
    ProcessState.STOPPED, ProcessState.FATAL, ProcessState.UNKNOWN,
})


def describe_returncode(returncode: int) -> str:
    if returncode < 0:
        try:
            return f"terminated by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"terminated by signal {-returncode}"
    return f"exit status {returncode}"


# Set by the control layer: what to do when a process must be restarted
# (health or memory) or its start was judged failed (ready_deadline).
RestartHook = Callable[["ProcessRunner", str, str], None]  # (runner, kind, reason)


class Vitals:
    def __init__(self, runner: ProcessRunner, notify_dir: NotifyDirectory | None,
                 on_verdict: RestartHook | None) -> None:
        self._runner = runner
        self._on_verdict = on_verdict
        self.spawns = 0
        self.restarts = 0
        self.health_restarts = 0
        self.memory_restarts = 0
        self.last_exit = ""
        self.stop_reason: str | None = None  # why minder itself is stopping the process
        self.ready_failures = 0  # ready deadlines missed in a row
        self.notify: NotifySocket | None = None
        spec = runner.spec
        ctx = runner.ctx
        uses_notify = any(
            p is not None and p.kind == "notify" for p in (spec.health.ready, spec.health.health)
        )
        if uses_notify and notify_dir is not None:
            with contextlib.suppress(OSError):  # without it, notify probes just never succeed
                self.notify = NotifySocket(ctx.loop, notify_dir.new_path(), spec.uid,
                                           self._notified)
        self.monitor: HealthMonitor | None = None
        if spec.health.ready is not None or spec.health.health is not None:
            def probe_for(kind: str) -> Probe | None:
                p = spec.health.ready if kind == "ready" else spec.health.health
                return (None if p is None
                        else make_probe(p, ctx.reaper, runner.environment, spec.directory))

            self.monitor = HealthMonitor(
                spec.health, ctx.loop, ctx.clock,
                HealthCallbacks(self._ready_changed, self._start_failed, self._unhealthy,
                                self._log),
                ready_probe=probe_for("ready"),
                health_probe=probe_for("health"),
            )

    # --- readiness ----------------------------------------------------------

    @property
    def ready(self) -> bool:
        if self.monitor is None:
            return self._runner.state is ProcessState.RUNNING
        return self.monitor.ready

    @property
    def status(self) -> str:
        return self.monitor.status if self.monitor is not None else ""

    def environment(self, env: dict[str, str]) -> None:
        """Add $NOTIFY_SOCKET (and $WATCHDOG_USEC) to a child's environment."""
        if self.notify is None:
            return
        env["NOTIFY_SOCKET"] = self.notify.path
        health = self._runner.spec.health.health
        if health is not None and health.kind == "notify":
            env["WATCHDOG_USEC"] = str(int(health.interval * 1_000_000))

    # --- what the runner tells us --------------------------------------------

    def spawned(self) -> None:
        self.spawns += 1
        if self.spawns > 1:
            self.restarts += 1
        if self.monitor is not None:
            self.monitor.spawned()

    def changed(self, to_state: ProcessState) -> None:
        if to_state is ProcessState.RUNNING:
            if self.monitor is not None:
                self.monitor.running()
            else:
                self._publish(True, "RUNNING")
        elif to_state in _NOT_ALIVE:
            if self.monitor is not None:
                self.monitor.gone(to_state.name)
            elif to_state in (ProcessState.STOPPING, ProcessState.EXITED,
                              ProcessState.UNKNOWN):
                self._publish(False, to_state.name)

    def exited(self, returncode: int) -> None:
        text = describe_returncode(returncode)
        self.last_exit = f"{text} ({self.stop_reason})" if self.stop_reason else text
        self.stop_reason = None

    def close(self) -> None:
        if self.monitor is not None:
            self.monitor.close()
        if self.notify is not None:
            self.notify.close()
            self.notify = None

    # --- verdicts -----------------------------------------------------------

    def _notified(self, message: NotifyMessage) -> None:
        if self.monitor is not None:
            self.monitor.notified(message)

    def _log(self, level: str, message: str) -> None:
        self._runner.ctx.log(level, f"{self._runner.namespec}: {message}")

    def _ready_changed(self, ready: bool, reason: str) -> None:
        if ready:
            self.ready_failures = 0
            self._log("info", f"ready: {reason}")
        self._publish(ready, reason)
        self._runner.recheck_waiters()  # a rolling restart may wait for this

    def _publish(self, ready: bool, reason: str) -> None:
        runner = self._runner
        bus = runner.ctx.bus
        if bus.wants(ProcessReadinessChanged):  # nobody listening: not even built
            bus.publish(ProcessReadinessChanged(
                runner.group, runner.name, ready, reason, runner.ctx.clock.time()))

    def _start_failed(self, reason: str) -> None:
        self.ready_failures += 1
        self._verdict("ready", reason)

    def _unhealthy(self, reason: str) -> None:
        self._verdict("health", reason)

    def memory_exceeded(self, reason: str) -> None:
        self._verdict("memory", reason)

    def _verdict(self, kind: str, reason: str) -> None:
        if self._on_verdict is not None:
            self._on_verdict(self._runner, kind, reason)


def _alive(runner: ProcessRunner) -> bool:
    return runner.state in (ProcessState.STARTING, ProcessState.RUNNING)


def vitals_snapshot(runner: ProcessRunner) -> VitalsSnapshot:
    """What every interface shows of ``runner`` beyond supervisord's state."""
    v = runner.vitals
    monitor = v.monitor
    health = runner.spec.health
    return new_vitals(
        ready=v.ready,
        ready_check=(health.ready.target or health.ready.kind) if health.ready else "",
        health_check=(health.health.target or health.health.kind) if health.health else "",
        status=v.status,
        health_failures=monitor.failures if monitor is not None else 0,
        last_answer=monitor.last_answer if monitor is not None else "",
        restarts=v.restarts,
        health_restarts=v.health_restarts,
        memory_restarts=v.memory_restarts,
        last_exit=v.last_exit,
        essential=runner.spec.essential,
        waiting=runner.blocked_by,
    )


async def restart_for(runner: ProcessRunner, kind: str, reason: str) -> None:
    """Restart ``runner`` through the normal stop path because of ``kind``.

    ``ready``: the start failed (ready_deadline); once stopped, the machine
    counts it like a start that exited too quickly (BACKOFF, then FATAL past
    startretries). ``health``/``memory``: stop (stopsignal, stopwaitsecs),
    count, and start again unless someone else acted on the process meanwhile.
    """
    from minder.model import machine as mc  # the machine input for a failed start

    vitals = runner.vitals
    if not _alive(runner):
        return
    label = {"ready": "start failed", "health": "unhealthy", "memory": "over its memory limit"}
    runner.ctx.log("warn", f"restarting {runner.namespec} ({label.get(kind, kind)}): {reason}")
    vitals.stop_reason = reason
    if kind == "health":
        vitals.health_restarts += 1
    elif kind == "memory":
        vitals.memory_restarts += 1
    runner.stop_now()
    with contextlib.suppress(asyncio.CancelledError):
        await runner.wait_stopped()
    if runner.removed or runner.state is not ProcessState.STOPPED or not runner.ctx.may_restart():
        return
    if kind == "ready":
        runner.feed(mc.StartFailed(reason, vitals.ready_failures))
    else:
        runner.start_now()
