"""Rolling restart: restart a set of processes N at a time, each batch ready first.

Why its own module: the restart of one process is the engine's normal
stop (stopsignal, stopwaitsecs) then start; what a rollout adds is the
pacing and the verdict. A batch is stopped together, started together,
and the next batch begins only once every process of this one is *ready*
(RUNNING, or past its ready_check). The first process that fails — it
exits, backs off, goes FATAL, or is not ready by its ready_deadline —
aborts the rollout: the processes not reached keep running on their old
instance, untouched. Progress is published on the bus (RolloutProgress),
so the web UI can show it while the call is in flight.

``update`` of a group with ``update_strategy=rolling`` goes through the
same loop with a ``replace`` step (engine/reload.py): once a batch is
stopped, its runners are swapped for ones built from the new config, and
those are the ones started and waited for.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from minder.engine.api import RolloutStep
from minder.engine.bus import EventBus
from minder.engine.clock import Clock
from minder.engine.process import ProcessRunner
from minder.model.events import RolloutProgress
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import RUNNING_STATES, ProcessState

# Without a ready_deadline, how long a process that is RUNNING but not ready
# may take before the rollout calls it failed.
DEFAULT_READY_WAIT = 60.0

# A stopped batch -> the runners to start in its place (the same ones for a restart).
Replace = Callable[[Sequence[ProcessRunner]], Sequence[ProcessRunner]]


def _failure(runner: ProcessRunner) -> str | None:
    state = runner.state
    if state in (ProcessState.BACKOFF, ProcessState.FATAL, ProcessState.EXITED,
                 ProcessState.STOPPED, ProcessState.UNKNOWN):
        reason = runner.machine.spawnerr or runner.vitals.last_exit or state.name
        return f"{state.name}: {reason}"
    return None


async def until_ready(runner: ProcessRunner) -> None:
    """Return once ready; raise SupervisorFault(FAILED) when the start fails.

    Also what ``start all`` waits for between dependency waves (control.py)."""
    deadline = runner.spec.health.ready_deadline or DEFAULT_READY_WAIT
    namespec = runner.namespec

    def verdict(_: object) -> bool | SupervisorFault | None:
        if runner.ready and runner.state in RUNNING_STATES:
            return True
        failed = _failure(runner)
        return SupervisorFault(Faults.FAILED, f"{namespec}: {failed}") if failed else None

    try:
        async with asyncio.timeout(deadline + runner.spec.startsecs + 1):
            await runner.wait_until(verdict)
    except TimeoutError:
        raise SupervisorFault(Faults.FAILED, f"{namespec}: not ready after {deadline:g}s") from None


async def rolling_restart(
    batches: Sequence[Sequence[ProcessRunner]], bus: EventBus, clock: Clock, rollout_id: str,
    replace: Replace | None = None,
) -> list[RolloutStep]:
    """Restart ``batches`` in order; stop at the first failure (see the module doc)."""
    total = sum(len(b) for b in batches)
    steps: list[RolloutStep] = []
    done = 0

    def publish(namespec: str, phase: str, detail: str = "") -> None:
        bus.publish(RolloutProgress(rollout_id, namespec, phase, done, total, detail,
                                    clock.time()))

    for index, batch in enumerate(batches):
        old = {r.namespec: r.pid for r in batch}
        for runner in batch:
            publish(runner.namespec, "stopping")
            runner.stop_now()
        await asyncio.gather(*(r.wait_stopped() for r in batch))
        fresh = list(replace(batch)) if replace is not None else list(batch)
        for runner in fresh:
            publish(runner.namespec, "starting")
            runner.start_now()
        results = await asyncio.gather(*(until_ready(r) for r in fresh),
                                       return_exceptions=True)
        failed = False
        for runner, result in zip(fresh, results, strict=True):
            done += 1
            if isinstance(result, BaseException):
                failed = True
                detail = (
                    (result.extra or "") if isinstance(result, SupervisorFault) else str(result)
                )
                steps.append(RolloutStep(runner.namespec, "failed", detail))
                publish(runner.namespec, "failed", detail)
            else:
                detail = f"pid {old[runner.namespec]} -> {runner.pid}"
                steps.append(RolloutStep(runner.namespec, "restarted", detail))
                publish(runner.namespec, "ready", detail)
        if failed:
            rest = [r for later in batches[index + 1:] for r in later]
            steps += [RolloutStep(r.namespec, "not reached", "rollout aborted") for r in rest]
            publish("", "aborted", f"{len(rest)} not restarted")
            return steps
    publish("", "done")
    return steps
