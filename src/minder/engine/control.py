"""Every control verb, for one process, a group or everything: the one owner.

XML-RPC, the JSON API, the web UI and the legacy pages all arrive here
(through EngineAPI) and only marshal arguments and results. What this
module decides, once:

- which processes a group/all verb acts on (start: not running; stop:
  running or waiting for a paced restart; signal: signallable; clear: all),
  as supervisord's ``make_allfunc``;
- the order: supervisord's ``_getAllProcesses`` (group priority, group name,
  then process priority, name); stops go in reverse;
- the checks and their order for one process (``ProcessRunner.request_*``
  holds supervisord's, this module adds the name lookup and the signal);
- one pass: every start, stop or signal of a group is requested before any
  wait, and one waiter reports outcomes as they complete.

Adding a verb: a ``verb_process`` and, if it has a bulk form, a
``verb_processes`` here; one method each on EngineAPI and Supervisor; a
few lines per front end. Where a child is placed (cgroup, namespace) is not
decided here but by the runner's spawner (EngineContext.spawner).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import signal
from collections.abc import Callable, Mapping, Sequence

from minder.engine.api import Outcome, RolloutStep
from minder.engine.burstpriority import prioritized_burst
from minder.engine.bus import EventBus
from minder.engine.clock import Clock
from minder.engine.gcpause import collections_paused_awaiting
from minder.engine.group import GroupRuntime
from minder.engine.process import ProcessRunner
from minder.engine.rollout import Replace, rolling_restart, until_ready
from minder.engine.vitals import restart_for
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.signals import BadSignal, parse_signal
from minder.protocol.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    STOPPED_STATES,
    ProcessState,
)

STOP_WAIT_LOG_INTERVAL = 2.0  # "waiting for a to stop" during an RPC stop
WAITING_LOG_INTERVAL = 3.0  # "waiting for a, b to die" during shutdown

Done = Callable[[ProcessRunner, SupervisorFault | None], None]


def signal_fault(sig: object) -> tuple[int, SupervisorFault | None]:
    """The signal number, or the BAD_SIGNAL fault every target gets instead."""
    try:
        return parse_signal(sig), None
    except BadSignal:
        return 0, SupervisorFault(Faults.BAD_SIGNAL, str(sig))


class ProcessControl:
    """Start, stop, restart, signal and clear for the groups of one Supervisor."""

    def __init__(
        self,
        groups: Mapping[str, GroupRuntime],
        *,
        check_running: Callable[[], None],
        log: Callable[[str, str], None],
        defer: Callable[[ProcessRunner], None] | None = None,
    ) -> None:
        self._groups = groups  # the Supervisor's live mapping (read only here)
        self._check_running = check_running  # SHUTDOWN_STATE unless the daemon runs
        self._log = log
        self._rollouts = 0
        self._verdict_tasks: set[asyncio.Task[None]] = set()
        # depends_on: start now if the dependencies are ready, else once they are
        self._defer = defer or ProcessRunner.start_now

    # --- choosing targets -------------------------------------------------

    def runner(self, group: str, name: str) -> ProcessRunner:
        g = self._groups.get(group)
        runner = g.processes.get(name) if g is not None else None
        if runner is None:
            raise SupervisorFault(Faults.BAD_NAME, make_namespec(group, name))
        return runner

    def in_start_order(self, group: str | None) -> list[ProcessRunner]:
        """One group's processes, or everybody's, in supervisord's start order."""
        if group is not None:
            g = self._groups.get(group)
            if g is None:
                raise SupervisorFault(Faults.BAD_NAME, group)
            return g.in_start_order()
        groups = sorted(self._groups.values(), key=lambda g: (g.spec.priority, g.name))
        return [runner for g in groups for runner in g.in_start_order()]

    # --- one process --------------------------------------------------------

    async def start_process(self, group: str, name: str, wait: bool) -> None:
        self._check_running()
        await self.runner(group, name).start(wait)

    async def stop_process(self, group: str, name: str, wait: bool) -> None:
        self._check_running()
        runner = self.runner(group, name)
        runner.request_stop()
        if wait:
            await self._settle([runner], lambda r, f: None, stopping=True)

    async def restart_process(self, group: str, name: str, wait: bool) -> None:
        self._check_running()
        runner = self.runner(group, name)
        if runner.stoppable:
            runner.request_stop()
            await self._settle([runner], lambda r, f: None, stopping=True)
        await runner.start(wait)

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        self._check_running()
        runner = self.runner(group, name)
        signum, fault = signal_fault(sig)
        if fault is not None:
            raise fault
        runner.signal(signum)

    def clear_logs(self, group: str, name: str) -> None:
        self._check_running()
        self._clear(self.runner(group, name))

    # --- minder: rolling and health restarts (issue 16) -------------------------

    async def rolling_restart(
        self, targets: Sequence[tuple[str, str | None]], batch: int, bus: EventBus, clock: Clock,
    ) -> list[RolloutStep]:
        """Restart ``targets`` ((group, name), or (group, None) for a group in start
        order) ``batch`` at a time, each batch ready before the next; the first
        failure stops the rollout (engine/rollout.py). Every target must be running."""
        self._check_running()
        if batch < 1:
            raise SupervisorFault(Faults.BAD_ARGUMENTS, "batch must be at least 1")
        runners: list[ProcessRunner] = []
        for group, name in targets:
            chosen = self.in_start_order(group) if name is None else [self.runner(group, name)]
            runners += [r for r in chosen if r not in runners]
        for runner in runners:
            if runner.state not in RUNNING_STATES:
                raise SupervisorFault(Faults.NOT_RUNNING, runner.namespec)
        return await self.roll(runners, batch, bus, clock)

    async def roll(
        self, runners: Sequence[ProcessRunner], batch: int, bus: EventBus, clock: Clock,
        replace: Replace | None = None,
    ) -> list[RolloutStep]:
        """The rollout itself, for a rolling restart and for ``update`` of a
        group with update_strategy=rolling (``replace`` builds the new runners)."""
        batches = [runners[i : i + batch] for i in range(0, len(runners), batch)]
        self._rollouts += 1
        return await rolling_restart(batches, bus, clock, f"r{self._rollouts}", replace)

    def restart_for(self, runner: ProcessRunner, kind: str, reason: str) -> None:
        """A health, memory or readiness verdict: restart through the stop path
        (engine/vitals.py says how each kind is counted and retried), in a task
        held here until it ends or the daemon closes (``cancel_verdicts``)."""
        task = asyncio.get_running_loop().create_task(restart_for(runner, kind, reason))
        self._verdict_tasks.add(task)
        task.add_done_callback(self._verdict_tasks.discard)

    def cancel_verdicts(self) -> None:
        for task in list(self._verdict_tasks):
            task.cancel()

    # --- a group or everything -------------------------------------------------

    async def start_processes(self, group: str | None, wait: bool) -> list[Outcome]:
        self._check_running()
        targets = [r for r in self.in_start_order(group) if r.state not in RUNNING_STATES]
        if any(r.spec.depends_on for r in targets):
            return await self._start_in_dependency_order(targets, wait)
        return await self._one_pass(targets, ProcessRunner.request_start, wait, spawning=True)

    async def _start_in_dependency_order(
        self, targets: list[ProcessRunner], wait: bool
    ) -> list[Outcome]:
        """minder's depends_on: start in waves, each ready before the next.

        Without ``wait`` every start is handed to the deferred starts (now if
        its dependencies are ready, else once they are). With it, a wave is
        the targets none of whose dependencies is still to be started; it is
        started (supervisord's order inside it) and waited for until ready; a
        process whose dependency failed is not started and says why.
        """
        if not wait:
            for runner in targets:
                self._defer(runner)
            return [_outcome(r, None) for r in targets]
        outcomes: list[Outcome] = []
        failed: set[str] = set()  # program names that did not become ready
        pending = list(targets)
        while pending:
            waiting_for = {r.spec.program_name for r in pending}
            wave = [r for r in pending if not waiting_for & set(r.spec.depends_on)] or pending
            pending = [r for r in pending if r not in wave]
            blocked = [r for r in wave if failed & set(r.spec.depends_on)]
            for runner in blocked:
                needs = ", ".join(sorted(failed & set(runner.spec.depends_on)))
                failed.add(runner.spec.program_name)
                outcomes.append(_outcome(runner, SupervisorFault(
                    Faults.ABNORMAL_TERMINATION, f"{runner.namespec}: dependency {needs} failed")))
            started = await self._one_pass(
                [r for r in wave if r not in blocked], ProcessRunner.request_start, True,
                spawning=True)
            for outcome in started:
                runner = self.runner(outcome.group, outcome.name)
                if outcome.fault is None:
                    try:
                        await until_ready(runner)
                    except SupervisorFault as fault:
                        outcome = _outcome(runner, fault)
                if outcome.fault is not None:
                    failed.add(runner.spec.program_name)
                outcomes.append(outcome)
        return outcomes

    async def stop_processes(self, group: str | None, wait: bool) -> list[Outcome]:
        """Stop a group's or everyone's running processes (reverse start order, one pass).

        The collector stays paused while the stop runs, for at most a second
        (``gcpause.collections_paused_awaiting``), whichever front end asked.
        """
        self._check_running()
        targets = [r for r in reversed(self.in_start_order(group)) if r.stoppable]
        with collections_paused_awaiting(asyncio.get_running_loop()):
            return await self._one_pass(targets, ProcessRunner.request_stop, wait, stopping=True)

    async def restart_processes(self, group: str | None, wait: bool) -> list[Outcome]:
        """Stop everything first (reverse order, one pass), then start in order.

        Restarting process by process would interleave stops and starts and
        break the priority order the config asks for.
        """
        self._check_running()
        selected = self.in_start_order(group)
        running = [r for r in reversed(selected) if r.stoppable]
        stops = await self._one_pass(running, ProcessRunner.request_stop, True, stopping=True)
        failed = {(o.group, o.name): o for o in stops if o.fault is not None}
        started = {(o.group, o.name): o for o in await self.start_processes(group, wait)}
        results: list[Outcome] = []
        for runner in selected:
            key = (runner.group, runner.name)
            if key in failed:
                results.append(failed[key])
            elif key in started:
                results.append(started[key])
        return results

    async def signal_processes(self, group: str | None, sig: object) -> list[Outcome]:
        self._check_running()
        targets = [r for r in self.in_start_order(group) if r.state in SIGNALLABLE_STATES]
        signum, bad = signal_fault(sig)

        def send(runner: ProcessRunner) -> None:
            if bad is not None:
                raise bad
            runner.signal(signum)

        return await self._one_pass(targets, send, wait=False)

    async def clear_processes_logs(self, group: str | None) -> list[Outcome]:
        self._check_running()
        return await self._one_pass(self.in_start_order(group), self._clear, wait=False)

    # --- the daemon's stop (shutdown, reload) ------------------------------------

    async def stop_and_wait(self, runners: list[ProcessRunner]) -> None:
        """Stop ``runners`` without checks (update), highest sort key first."""
        for runner in sorted(runners, key=lambda r: r.sort_key, reverse=True):
            runner.stop_now()
        await asyncio.gather(*(r.wait_stopped() for r in runners))

    def kill_all(self) -> None:
        """A second exit signal: SIGKILL whatever is still alive, at once."""
        for group in self._groups.values():
            for runner in group.processes.values():
                if runner.spec.killdescendants:
                    runner.ctx.containment.kill_leftovers(runner.namespec, 0)
                if runner.popen is not None:
                    with contextlib.suppress(OSError):
                        runner.ctx.reaper.send_signal(
                            runner.popen.pid,
                            signal.SIGKILL,
                            to_group=runner.spec.killasgroup or runner.spec.stopasgroup,
                        )

    async def stop_for_exit(self, waves: list[list[ProcessRunner]]) -> None:
        """Stop group by group, highest priority number first, as supervisord does.

        With depends_on, in waves: dependents stop before what they depend on.
        Inside a group, the reverse of its start order; a process in BACKOFF
        is given up rather than waited for.
        """
        groups = sorted(self._groups.values(), key=lambda g: (g.spec.priority, g.name))
        for wave in waves:
            in_wave = set(map(id, wave))
            for group in reversed(groups):
                runners = [r for r in reversed(group.in_start_order()) if id(r) in in_wave]
                for runner in runners:
                    if runner.state is ProcessState.BACKOFF:
                        runner.give_up()
                    else:
                        runner.stop_now()
                await self._wait_stopped_for_exit(runners)

    async def _wait_stopped_for_exit(self, runners: list[ProcessRunner]) -> None:
        if not runners:
            return
        waits = [asyncio.ensure_future(r.wait_stopped()) for r in runners]
        try:
            while True:
                _, pending = await asyncio.wait(waits, timeout=WAITING_LOG_INTERVAL)
                if not pending:
                    return
                # Like supervisord: every unstopped process of every group, by name.
                everyone = (r for g in self._groups.values() for r in g.processes.values())
                alive = [r.name for r in everyone if r.state not in STOPPED_STATES]
                if alive:
                    self._log("info", f"waiting for {', '.join(alive)} to die")
        finally:
            for w in waits:
                w.cancel()

    # --- shared parts -------------------------------------------------------------

    async def _one_pass(
        self,
        targets: list[ProcessRunner],
        request: Callable[[ProcessRunner], None],
        wait: bool,
        *,
        stopping: bool = False,
        spawning: bool = False,
    ) -> list[Outcome]:
        """Make every request first, then (with ``wait``) report each as it settles.

        Refusals come first, in target order; then completions in the order
        they happen (supervisord's result order). Requests that spawn
        (``spawning``) are made as a prioritized burst (engine/burstpriority.py),
        as start-up's are; a stop's are not: its children's exits then
        batched worse, and the whole stop took longer (docs/performance.md,
        *seventh pass*).
        """
        outcomes: list[Outcome] = []
        waiting: list[ProcessRunner] = []
        with prioritized_burst(len(targets) if spawning else 0):  # the requests, not the wait
            for runner in targets:
                try:
                    request(runner)
                except SupervisorFault as fault:
                    outcomes.append(_outcome(runner, fault))
                    continue
                if wait:
                    waiting.append(runner)
                else:
                    outcomes.append(_outcome(runner, None))
        if waiting:
            done: Done = lambda r, f: outcomes.append(_outcome(r, f))  # noqa: E731
            await self._settle(waiting, done, stopping=stopping)
        return outcomes

    def _clear(self, runner: ProcessRunner) -> None:
        if runner.state not in RUNNING_STATES and runner.state is not ProcessState.STOPPING:
            return  # supervisord clears through live dispatchers only
        for channel in (runner.stdout, runner.stderr):
            if channel is not None and channel.sink is not None:
                try:
                    channel.sink.clear()
                except OSError as exc:
                    raise SupervisorFault(Faults.FAILED, str(exc)) from None

    async def _settle(
        self, runners: list[ProcessRunner], done: Done, *, stopping: bool = False
    ) -> None:
        """Wait for every runner's start (or stop), calling ``done`` as each one settles.

        One future per runner with a done-callback, one counter and, for
        stops, one "waiting for" timer for them all: no task, no
        ``asyncio.wait`` and no timer per process, which is what stopping 500
        at once would cost. A requested stop cannot fail (stopwaitsecs ends in
        SIGKILL), and a runner closed meanwhile (its group removed) counts as
        stopped; a start that is cancelled that way did not succeed.
        """
        loop = asyncio.get_running_loop()
        all_settled = loop.create_future()
        pending: dict[int, ProcessRunner] = {}

        def settled(runner: ProcessRunner, future: asyncio.Future[None]) -> None:
            del pending[id(runner)]
            fault: SupervisorFault | None = None
            if future.cancelled():
                if not stopping:
                    fault = SupervisorFault(Faults.ABNORMAL_TERMINATION, runner.namespec)
            else:
                error = future.exception()
                fault = error if isinstance(error, SupervisorFault) else None
            done(runner, fault)
            if not pending and not all_settled.done():
                all_settled.set_result(None)

        for runner in runners:
            future = runner.stopped_future() if stopping else runner.started_future()
            if future is None:
                done(runner, None)
                continue
            pending[id(runner)] = runner
            future.add_done_callback(functools.partial(settled, runner))
        if not pending:
            return
        timer: asyncio.TimerHandle | None = None

        def nag() -> None:
            nonlocal timer
            for runner in pending.values():
                self._log("info", f"waiting for {runner.name} to stop")
            timer = loop.call_later(STOP_WAIT_LOG_INTERVAL, nag)

        if stopping:
            timer = loop.call_later(STOP_WAIT_LOG_INTERVAL, nag)
        try:
            await all_settled
        finally:
            if timer is not None:
                timer.cancel()


def _outcome(runner: ProcessRunner, fault: SupervisorFault | None) -> Outcome:
    return Outcome(runner.group, runner.name, fault)
