"""One supervised process: the single owner of its state.

Every change goes through ``feed``, which runs the pure state machine
(model/machine.py) and then performs its effects. Inputs raised while
effects run (a spawn reporting Spawned, say) are queued and handled in
order, so the machine never re-enters itself. Everything runs on the event
loop thread, so this object is the one owner of its process without locks.

Commands (start/stop/...) validate with supervisord's faults, post an input
and, for ``wait=True``, await a future that state changes resolve — no
polling. The one timer follows the machine's (timer, deadline) pair.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections import deque
from collections.abc import Callable

from minder.engine.context import EngineContext
from minder.engine.output import (
    MAX_STDIN_PENDING,
    OutputChannel,
    PipeReader,
    StdinFull,
    StdinWriter,
)
from minder.engine.reaper import Child
from minder.engine.restarting import RESTARTS, let_child_run
from minder.engine.spawn import (
    Pipes,
    SpawnError,
    child_environment,
    resolve_command,
)
from minder.engine.vitals import Vitals
from minder.engine.waiters import Predicate, Waiters, is_stopped
from minder.model import machine as mc
from minder.model.events import ProcessStateChanged
from minder.model.specs import ProcessSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.states import (
    RUNNING_STATES,
    SIGNALLABLE_STATES,
    ProcessState,
)


class ProcessRunner:
    def __init__(
        self,
        spec: ProcessSpec,
        group: str,
        group_priority: int,
        ctx: EngineContext,
        stdout: OutputChannel,
        stderr: OutputChannel | None,
        *,
        stdin_fd: Callable[[], int | None] | None = None,
        on_exit: Callable[[ProcessRunner], None] | None = None,
    ) -> None:
        self.spec = spec
        self.group = group
        self.group_priority = group_priority
        self.ctx = ctx
        self.stdout = stdout
        self.stderr = stderr
        self._stdin_fd = stdin_fd  # fcgi: the shared socket as fd 0
        self._on_exit = on_exit
        if ctx.output_tee is not None:  # [supervisord] childlogs_to_stdout
            stdout.plug(tee=ctx.output_tee(spec.name, "stdout"))
            if stderr is not None:
                stderr.plug(tee=ctx.output_tee(spec.name, "stderr"))
        self.returncode: int | None = None  # Popen-style, of the last exit
        self.machine = mc.Machine(mc.Policy.from_spec(spec))
        self.popen: Child | None = None
        self.stdin: StdinWriter | None = None
        self._readers: list[PipeReader] = []
        self.start_epoch = 0.0
        self.stop_epoch = 0.0
        self._inbox: deque[mc.Input] = deque()
        self._busy = False
        self._timer: asyncio.TimerHandle | None = None
        self._armed: tuple[mc.Timer | None, float | None] = (None, None)
        self._waiters = Waiters(ctx.loop)
        self._prepared: tuple[dict[str, str], tuple[str, list[str]]] | None = None
        self.removed = False
        self.vitals = Vitals(self, ctx.notify_dir, ctx.on_verdict)
        self.blocked_by = ""  # depends_on: why a start is held back (engine/dependencies.py)

    # --- identity and snapshots -------------------------------------------

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def namespec(self) -> str:
        return make_namespec(self.group, self.spec.name)

    @property
    def state(self) -> ProcessState:
        return self.machine.state

    @property
    def pid(self) -> int:
        return self.machine.pid

    @property
    def ready(self) -> bool:
        """minder: RUNNING, or past its ready_check (engine/vitals.py)."""
        return self.vitals.ready

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.spec.priority, self.spec.name)

    # --- the single entry point for state changes --------------------------

    def feed(self, inp: mc.Input) -> None:
        self._inbox.append(inp)
        if not self._busy:
            self._run_inbox(None)

    def _run_inbox(self, first_now: float | None) -> None:
        """Step the machine through every queued input, then re-arm and wake waiters."""
        self._busy = True
        try:
            while self._inbox:
                now = self.ctx.clock.monotonic() if first_now is None else first_now
                first_now = None
                inp = self._inbox.popleft()
                self.machine, effects = mc.step(self.machine, inp, now)
                if effects and isinstance(effects[-1], mc.Spawn):
                    # The child first: a respawn after a crash waits for nothing
                    # but the fork. This step's log lines and events follow in
                    # their order, each before the spawn's own ("spawned: ...").
                    launched = self._launch()
                    if isinstance(inp, RESTARTS) and not isinstance(launched, SpawnError):
                        let_child_run()
                    for effect in effects[:-1]:
                        self._apply(effect)
                    self._started(launched)
                else:
                    for effect in effects:
                        self._apply(effect)
        finally:
            self._busy = False
        self._sync_timer()
        self._check_waiters()

    def _apply(self, effect: mc.Effect) -> None:
        if isinstance(effect, mc.Log):
            self.ctx.log(effect.level, effect.message)
        elif isinstance(effect, mc.Changed):
            self.ctx.bus.publish(
                ProcessStateChanged(
                    group=self.group,
                    name=self.name,
                    from_state=effect.from_state,
                    to_state=effect.to_state,
                    pid=effect.pid,
                    tries=effect.tries,
                    expected=effect.expected,
                    when=self.ctx.clock.time(),
                )
            )
            self.vitals.changed(effect.to_state)
            self._check_waiters()
        elif isinstance(effect, mc.Spawn):
            self._started(self._launch())
        elif isinstance(effect, mc.Kill):
            self._kill(effect.signum, effect.to_group)

    def _sync_timer(self) -> None:
        wanted = (self.machine.timer, self.machine.deadline)
        if wanted == self._armed:
            return
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._armed = wanted
        timer, deadline = wanted
        if timer is not None and deadline is not None:
            delay = max(0.0, deadline - self.ctx.clock.monotonic())
            self._timer = self.ctx.loop.call_later(delay, self._timer_fired, timer, deadline)

    def _timer_fired(self, timer: mc.Timer, deadline: float) -> None:
        self._timer = None
        self._armed = (None, None)
        # Reap before judging: a child that died just now is not RUNNING.
        if self.popen is not None:
            self.ctx.reaper.reap_now(self.popen.pid)
        if self.machine.timer is timer and self.machine.deadline == deadline:
            # The loop may wake a hair early; the deadline is what was due.
            now = max(self.ctx.clock.monotonic(), deadline)
            self._inbox.append(mc.TimerFired(timer, self.ctx.may_restart()))
            self._run_inbox(now)
        else:
            self._sync_timer()

    # --- effects -----------------------------------------------------------

    def environment(self) -> dict[str, str]:
        ctx = self.ctx
        env = child_environment(
            self.spec,
            self.group,
            base=ctx.base_env,
            daemon_env=ctx.daemon_env,
            server_url=ctx.server_url,
        )
        self.vitals.environment(env)
        return env

    def _launch(self) -> tuple[Child, Pipes] | SpawnError:
        """Start the child: the part of a spawn that a restart's gap waits for.

        Everything else (bookkeeping, the journal, the output readers, log
        lines) is ``_started``'s, after the child runs.
        """
        try:
            try:
                stdin_fd = self._stdin_fd() if self._stdin_fd is not None else None
            except OSError as exc:  # the fcgi socket cannot be bound again
                raise SpawnError(f"couldn't create socket for {self.name!r}: {exc}") from None
            prepared, self._prepared = self._prepared, None
            env, command = prepared if prepared is not None else (self.environment(), None)
            # killdescendants=false: the program deliberately leaves daemons behind
            placing = (
                self.ctx.containment.placing(self.namespec)
                if self.spec.killdescendants
                else contextlib.nullcontext()
            )
            with placing:
                return self.ctx.spawner(self.spec, env, stdin_fd=stdin_fd, command=command)
        except SpawnError as exc:
            return exc

    def _started(self, launched: tuple[Child, Pipes] | SpawnError) -> None:
        if isinstance(launched, SpawnError):
            self._inbox.append(mc.SpawnFailed(launched.message))
            if self._on_exit is not None:
                self._on_exit(self)
            return
        popen, pipes = launched
        self.popen = popen
        if self.spec.killdescendants:
            self.ctx.containment.adopt(self.namespec, popen.pid)
        self.ctx.journal.spawned(self.namespec, popen.pid, getattr(popen, "start_tick", None))
        self.start_epoch = self.ctx.clock.time()
        self.stdout.started(popen.pid)
        assert pipes.stdout is not None
        self._readers = [r for r in self._readers if r.fd is not None]
        loop, batch = self.ctx.loop, self.ctx.read_batch
        self._readers.append(PipeReader(loop, pipes.stdout, self.stdout, batch=batch))
        if pipes.stderr is not None and self.stderr is not None:
            self.stderr.started(popen.pid)
            self._readers.append(PipeReader(loop, pipes.stderr, self.stderr, batch=batch))
        if pipes.stdin is not None:
            self.stdin = StdinWriter(self.ctx.loop, pipes.stdin)
        self.ctx.reaper.watch(popen, self._reaped)
        self.vitals.spawned()
        self._inbox.append(mc.Spawned(popen.pid))

    def _kill(self, signum: int, to_group: bool) -> None:
        if self.popen is None:
            return
        try:
            self.ctx.reaper.send_signal(self.popen.pid, signum, to_group=to_group)
        except OSError as exc:
            self._inbox.append(mc.SignalFailed(str(exc)))
        if signum not in (signal.SIGKILL, signal.SIGSTOP) and self.popen is not None:
            # A stopped (SIGSTOP) child would never act on its stop signal.
            with contextlib.suppress(OSError):
                self.ctx.reaper.send_signal(self.popen.pid, signal.SIGCONT, to_group=to_group)

    def _reaped(self, returncode: int) -> None:
        for reader in self._readers:
            reader.drain()
        self._readers = [r for r in self._readers if r.fd is not None]
        if self.stdin is not None:
            self.stdin.close()
            self.stdin = None
        if self.popen is not None:
            self.ctx.journal.exited(self.popen.pid)
            if self.spec.killdescendants:
                self._kill_leftovers(self.popen.pid)
        self.popen = None
        self.returncode = returncode
        self.stop_epoch = self.ctx.clock.time()
        rand = self.ctx.random()
        self.vitals.exited(returncode)
        if returncode < 0:
            inp = mc.Exited(-1, -returncode, self.ctx.may_restart(), rand)
        else:
            inp = mc.Exited(returncode, 0, self.ctx.may_restart(), rand)
        self.feed(inp)
        if self._on_exit is not None:
            self._on_exit(self)

    def _kill_leftovers(self, main_pid: int) -> None:
        """The main process is gone: whatever it left running goes too (issue 14)."""
        left = self.ctx.containment.kill_leftovers(
            self.namespec, main_pid, batch=self.ctx.reaper.exit_batch)
        if left:
            pids = ", ".join(map(str, sorted(left)))
            note = f"killed {len(left)} process(es) '{self.name}' left behind: {pids}"
            self.ctx.log("info", note)

    # --- waiting -----------------------------------------------------------

    def _check_waiters(self) -> None:
        self._waiters.check(self.machine)

    def future_until(self, predicate: Predicate) -> asyncio.Future[None]:
        """A future that ``predicate`` resolves (or fails) as the machine moves."""
        return self._waiters.future_until(self.machine, predicate)

    async def wait_until(self, predicate: Predicate) -> None:
        await self.future_until(predicate)

    def recheck_waiters(self) -> None:
        """Something a waiter's predicate reads changed outside the machine (readiness)."""
        self._check_waiters()

    async def wait_stopped(self) -> None:
        await self.wait_until(is_stopped)

    def stopped_future(self) -> asyncio.Future[None] | None:
        """A future that resolves when the process is stopped; None if it already is.

        A bare future rather than ``wait_stopped()``: a caller that must also
        time its wait (stopAllProcesses, 500 at once) awaits it as is,
        without wrapping a coroutine in a task of its own.
        """
        return self._waiters.stopped_future(self.machine)

    # --- commands ----------------------------------------------------------

    def check_command(self) -> None:
        """startProcess's early check: NO_FILE / NOT_EXECUTABLE before anything else.

        The environment and the resolved command are kept for the spawn that
        follows, so a start builds and resolves them once.
        """
        env = self.environment()
        try:
            self._prepared = (env, resolve_command(self.spec.command, env))
        except SpawnError as exc:
            raise SupervisorFault(exc.fault, exc.message) from None

    def start_now(self) -> None:
        """Autostart or a programmatic start; no checks, no waiting."""
        if self.state in (ProcessState.STOPPED, ProcessState.EXITED, ProcessState.FATAL):
            self.feed(mc.Start())

    def request_start(self) -> None:
        """startProcess without the wait: the child is spawned before this returns.

        supervisord's checks in supervisord's order (command, ALREADY_STARTED,
        UNKNOWN, then SPAWN_ERROR). Synchronous so that starting a group or
        everything spawns them all in one pass.
        """
        self._prepared = None
        try:
            self.check_command()
            if self.state in RUNNING_STATES:
                raise SupervisorFault(Faults.ALREADY_STARTED, self.namespec)
            if self.state is ProcessState.UNKNOWN:
                raise SupervisorFault(Faults.FAILED, f"{self.namespec} is in an unknown state")
            self.feed(mc.Start())
        finally:
            self._prepared = None
        if self.machine.spawnerr and self.state is not ProcessState.STARTING:
            raise SupervisorFault(Faults.SPAWN_ERROR, self.namespec)

    def started_future(self) -> asyncio.Future[None]:
        """Resolves once RUNNING; SPAWN_ERROR / ABNORMAL_TERMINATION if it never gets there."""
        namespec = self.namespec

        def started(m: mc.Machine) -> bool | SupervisorFault | None:
            if m.spawnerr:
                return SupervisorFault(Faults.SPAWN_ERROR, namespec)
            if m.state is ProcessState.RUNNING:
                return True
            if m.state is not ProcessState.STARTING:
                return SupervisorFault(Faults.ABNORMAL_TERMINATION, namespec)
            return None

        return self.future_until(started)

    async def start(self, wait: bool = True) -> None:
        self.request_start()
        if wait:
            await self.started_future()

    def stop_now(self) -> None:
        """Request a stop without checks (shutdown, update)."""
        if self.state in (ProcessState.STARTING, ProcessState.RUNNING, ProcessState.BACKOFF):
            self.feed(mc.Stop())

    def request_stop(self) -> None:
        """stopProcess without the wait: the stop signal is sent before this returns.

        Synchronous so that stopping a whole group or every process signals
        them all in one pass, with no task per process.
        """
        if self.state not in RUNNING_STATES:
            if self.restart_pending():
                self.feed(mc.Stop())  # cancels a paced restart or a FATAL retry
                return
            raise SupervisorFault(Faults.NOT_RUNNING, self.namespec)
        self.feed(mc.Stop())
        if self.state is ProcessState.UNKNOWN:
            raise SupervisorFault(Faults.FAILED, f"{self.namespec}: signal failed")

    async def stop(self, wait: bool = True) -> None:
        self.request_stop()
        if wait:
            await self.wait_stopped()

    @property
    def stoppable(self) -> bool:
        """What a group/all stop acts on: running, or a pending restart a stop cancels."""
        return self.state in RUNNING_STATES or self.restart_pending()

    def restart_pending(self) -> bool:
        """Whether a paced restart or a FATAL retry is waiting on its timer."""
        return self.machine.timer in (mc.Timer.RESTART, mc.Timer.COOLDOWN)

    def next_start_epoch(self) -> float:
        """Wall-clock time of the next automatic start, 0 if none is scheduled."""
        m = self.machine
        if m.deadline is None or m.timer not in (
            mc.Timer.RESTART, mc.Timer.COOLDOWN, mc.Timer.BACKOFF
        ):
            return 0.0
        return self.ctx.clock.time() + max(0.0, m.deadline - self.ctx.clock.monotonic())

    def give_up(self) -> None:
        self.feed(mc.GiveUp())

    def signal(self, signum: int) -> None:
        if self.state not in SIGNALLABLE_STATES or self.popen is None:
            raise SupervisorFault(Faults.NOT_RUNNING, self.namespec)
        try:
            self.ctx.reaper.send_signal(self.popen.pid, signum)
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, f"{self.namespec}: {exc}") from None

    def write_stdin(self, data: bytes) -> None:
        # supervisord: no pid (BACKOFF too) or being killed is NOT_RUNNING
        if not self.pid or self.state not in RUNNING_STATES or self.machine.killing:
            raise SupervisorFault(Faults.NOT_RUNNING, self.namespec)
        if self.stdin is None:
            raise SupervisorFault(Faults.NO_FILE, self.namespec)
        try:
            self.stdin.write(data)
        except StdinFull as full:
            raise SupervisorFault(
                Faults.FAILED,
                f"{self.namespec}: stdin not read ({full.args[0]} bytes waiting; "
                f"at most {MAX_STDIN_PENDING} are buffered)",
            ) from None
        except OSError:
            raise SupervisorFault(Faults.NO_FILE, self.namespec) from None

    def reopen_logs(self) -> None:
        for channel in (self.stdout, self.stderr):
            if channel is not None and channel.sink is not None:
                channel.sink.reopen()

    # --- teardown ----------------------------------------------------------

    def close(self) -> None:
        """Release fds and timers (the process must be stopped)."""
        self.removed = True
        self.vitals.close()
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        for reader in self._readers:
            reader.close()
        self._readers = []
        if self.stdin is not None:
            self.stdin.close()
            self.stdin = None
        self.stdout.close()
        if self.stderr is not None:
            self.stderr.close()
        self.ctx.containment.release(self.namespec)
        self._waiters.cancel_all()
