"""supervisord's process state machine as a pure transition table.

Why pure: supervisord interleaves its state decisions with fork, kill and a
1 s poll loop, which makes its behaviour racy (a child that exits at once
may be judged RUNNING before it is reaped). Here every decision is
``step(machine, input, now) -> (machine, effects)``: no clock reads, no I/O.
The engine performs the effects (spawn, signal) and feeds back what
happened (Spawned, Exited, a timer expiring), so the same table can be
exercised in microseconds by unit tests with a fake clock.

The inputs, effects and timers it speaks are in model/machine_io.py.

Timers are part of the machine's state (``timer``/``deadline``): each state
has at most one pending deadline (startsecs in STARTING, the retry delay in
BACKOFF, stopwaitsecs in STOPPING). The engine re-arms its one timer
whenever that pair changes, so nothing ever polls.

``now`` is a monotonic reading; wall-clock times for ``getProcessInfo`` are
recorded by the engine when it sees the state change effects.

Restart pacing (model/pacing.py) adds two timers outside supervisord's
table: RESTART keeps a crash-looping process in EXITED until its delayed
restart, COOLDOWN retries a FATAL process when ``fatal_cooldown`` is set.
The jitter's random number arrives with the input (``Exited.rand``), so
the table stays pure.
"""

from __future__ import annotations

import signal
from collections.abc import Callable
from dataclasses import fields

from minder.model import pacing as pc
from minder.model.machine_io import (
    Changed,
    Effect,
    Exited,
    GiveUp,
    Input,
    Kill,
    Log,
    SignalFailed,
    Spawn,
    Spawned,
    SpawnFailed,
    Start,
    StartFailed,
    Stop,
    Timer,
    TimerFired,
)
from minder.model.specs import AutoRestart, ProcessSpec
from minder.protocol.states import ProcessState as S
from minder.records import record

# The machine_io names are re-exported: callers write ``mc.Start()``.
__all__ = [
    "TABLE",
    "Changed",
    "Effect",
    "Exited",
    "GiveUp",
    "Handler",
    "Input",
    "Kill",
    "Log",
    "Machine",
    "Policy",
    "Result",
    "SignalFailed",
    "Spawn",
    "SpawnFailed",
    "Spawned",
    "Start",
    "StartFailed",
    "Stop",
    "Timer",
    "TimerFired",
    "step",
]


@record
class Policy:
    """The parts of a ProcessSpec that the state machine decides with."""

    name: str
    startsecs: int = 1
    startretries: int = 3
    autorestart: AutoRestart = AutoRestart.UNEXPECTED
    exitcodes: tuple[int, ...] = (0,)
    stopsignal: int = int(signal.SIGTERM)
    stopwaitsecs: int = 10
    stopasgroup: bool = False
    killasgroup: bool = False
    pacing: pc.Pacing = pc.DEFAULT_PACING

    @classmethod
    def from_spec(cls, spec: ProcessSpec) -> Policy:
        return cls(
            name=spec.name,
            startsecs=spec.startsecs,
            startretries=spec.startretries,
            autorestart=spec.autorestart,
            exitcodes=spec.exitcodes,
            stopsignal=spec.stopsignal,
            stopwaitsecs=spec.stopwaitsecs,
            stopasgroup=spec.stopasgroup,
            killasgroup=spec.killasgroup or spec.stopasgroup,
            pacing=spec.pacing,
        )


@record
class Machine:
    """Everything the table needs to know about one process."""

    policy: Policy
    state: S = S.STOPPED
    pid: int = 0
    backoff: int = 0
    laststart: float = 0.0  # monotonic time of the last spawn, 0 = never
    timer: Timer | None = None
    deadline: float | None = None
    killing: bool = False  # a stop signal was sent (STOPPING)
    spawnerr: str = ""
    exitstatus: int | None = None  # -1 when killed by a signal
    stop_requested: bool = False  # the current STOPPING came from a stop request
    streak: int = 0  # quick exits in a row (crash loop), see model/pacing.py


Result = tuple[Machine, tuple[Effect, ...]]

_FIELDS = tuple(f.name for f in fields(Machine))
_new = object.__new__
_set = object.__setattr__


def replace(m: Machine, **changes: object) -> Machine:
    """``dataclasses.replace`` for a Machine, at a third of its cost.

    Every exit, start and stop of every process makes one to three copies
    (5 us each with the generic one: it re-runs the frozen ``__init__``);
    stopping 500 processes makes 1,000. A Machine has no ``__post_init__``
    and no validation, so setting the slots directly builds the same value.
    """
    unknown = changes.keys() - _FIELD_SET
    if unknown:
        raise TypeError(f"Machine has no field {sorted(unknown)[0]!r}")
    new = _new(Machine)
    for name in _FIELDS:
        _set(new, name, changes[name] if name in changes else getattr(m, name))
    return new


_FIELD_SET = frozenset(_FIELDS)


# Every stop logs its signal's name; an Enum lookup per stop costs more
# than this table (iteration skips aliases, as Signals(n).name does).
_SIGNAMES = {int(sig): sig.name for sig in signal.Signals}


def _signame(signum: int) -> str:
    name = _SIGNAMES.get(signum)
    return name if name is not None else f"signal {signum}"


def _go(
    m: Machine, to: S, effects: list[Effect], *, expected: bool = False, **changes: object
) -> Machine:
    """Move to ``to`` and record the Changed effect with post-change values."""
    new = replace(m, state=to, **changes)
    effects.append(Changed(m.state, to, m.pid, new.backoff, expected))
    return new


# --- handlers: one per (state, input kind) row of the table ----------------


def _start(m: Machine, inp: Input, now: float) -> Result:
    fx: list[Effect] = []
    new = _go(
        m,
        S.STARTING,
        fx,
        spawnerr="",
        timer=None,
        deadline=None,
        killing=False,
        stop_requested=False,
    )
    fx.append(Spawn())
    return new, tuple(fx)


def _spawned(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, Spawned)
    p = m.policy
    fx: list[Effect] = [Log("info", f"spawned: '{p.name}' with pid {inp.pid}")]
    new = replace(m, pid=inp.pid, laststart=now, timer=Timer.STARTSECS, deadline=now + p.startsecs)
    if p.startsecs == 0:
        return _running(new, fx)
    return new, tuple(fx)


def _running(m: Machine, fx: list[Effect]) -> Result:
    p = m.policy
    fx.append(
        Log(
            "info",
            f"success: {p.name} entered RUNNING state, process has stayed up "
            f"for > than {p.startsecs} seconds (startsecs)",
        )
    )
    new = _go(m, S.RUNNING, fx, backoff=0, timer=None, deadline=None)
    return new, tuple(fx)


def _enter_backoff(m: Machine, fx: list[Effect], now: float, spawnerr: str) -> Result:
    backoff = m.backoff + 1
    new = _go(
        m,
        S.BACKOFF,
        fx,
        backoff=backoff,
        spawnerr=spawnerr,
        pid=0,
        timer=Timer.BACKOFF,
        deadline=now + pc.failed_start_delay(m.policy.pacing, backoff),
    )
    if pc.gives_up(m.policy.pacing, backoff, m.policy.startretries):
        return _give_up(new, fx, now)
    return new, tuple(fx)


def _give_up(m: Machine, fx: list[Effect], now: float | None = None) -> Result:
    fx.append(
        Log(
            "info",
            f"gave up: {m.policy.name} entered FATAL state, too many start retries too quickly",
        )
    )
    cooldown = m.policy.pacing.fatal_cooldown
    if cooldown > 0 and now is not None:
        note = f"{m.policy.name}: FATAL, {pc.describe_delay(cooldown)} (fatal_cooldown)"
        fx.append(Log("info", note))
        new = _go(m, S.FATAL, fx, backoff=0, timer=Timer.COOLDOWN, deadline=now + cooldown)
    else:
        new = _go(m, S.FATAL, fx, backoff=0, timer=None, deadline=None)
    return new, tuple(fx)


def _spawn_failed(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, SpawnFailed)
    fx: list[Effect] = [Log("info", f"spawnerr: {inp.error}")]
    return _enter_backoff(m, fx, now, inp.error)


def _describe_exit(inp: Exited) -> str:
    if inp.signal:
        return f"terminated by {_signame(inp.signal)}"
    return f"exit status {inp.status}"


def _exited_starting(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, Exited)
    p = m.policy
    if now - m.laststart < p.startsecs:
        # Reaped before startsecs: always "too quickly", even with exit 0.
        fx: list[Effect] = [Log("warn", f"exited: {p.name} ({_describe_exit(inp)}; not expected)")]
        m = replace(m, exitstatus=inp.status)
        m, more = _enter_backoff(m, fx, now, "Exited too quickly (process log may have details)")
        return _backoff_no_retry(m, more, inp.may_restart)
    # startsecs has passed but the timer had not fired yet: RUNNING first.
    running, fx_running = _running(m, [])
    after, fx_exit = _exited_running(running, inp, now)
    return after, fx_running + fx_exit


def _backoff_no_retry(m: Machine, fx: tuple[Effect, ...], may_restart: bool) -> Result:
    """During shutdown a BACKOFF process keeps no retry timer."""
    if m.state is S.BACKOFF and not may_restart:
        m = replace(m, timer=None, deadline=None)
    return m, fx


def _exited_running(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, Exited)
    p = m.policy
    expected = not inp.signal and inp.status in p.exitcodes
    level = "info" if expected else "warn"
    fx: list[Effect] = [
        Log(
            level,
            f"exited: {p.name} ({_describe_exit(inp)}; "
            f"{'expected' if expected else 'not expected'})",
        )
    ]
    spawnerr = "" if expected else f"Bad exit code {inp.status}"
    new = _go(
        m,
        S.EXITED,
        fx,
        expected=expected,
        exitstatus=inp.status,
        backoff=0,
        spawnerr=spawnerr,
        timer=None,
        deadline=None,
        pid=0,  # Changed still reports the old pid: _go takes it from ``m``
    )
    restart = p.autorestart is AutoRestart.ALWAYS or (
        p.autorestart is AutoRestart.UNEXPECTED and not expected
    )
    if not (restart and inp.may_restart):
        return new, tuple(fx)
    streak = pc.crash_streak(p.pacing, m.streak, now - m.laststart)
    delay = pc.crash_delay(p.pacing, streak, inp.rand)
    new = replace(new, streak=streak)
    if delay <= 0:
        again, fx_start = _start(new, Start(), now)
        return again, (*fx, *fx_start)
    fx.append(
        Log(
            "info",
            f"crash loop: {p.name} exited {streak} time{'s' if streak > 1 else ''} in a row "
            f"within {p.pacing.reset:g}s of starting; {pc.describe_delay(delay)}",
        )
    )
    return replace(new, timer=Timer.RESTART, deadline=now + delay), tuple(fx)


def _exited_stopping(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, Exited)
    p = m.policy
    expected = not inp.signal and inp.status in p.exitcodes
    level = "info" if expected else "warn"
    fx: list[Effect] = [Log(level, f"stopped: {p.name} ({_describe_exit(inp)})")]
    new = _go(
        m,
        S.STOPPED,
        fx,
        exitstatus=inp.status,
        timer=None,
        deadline=None,
        killing=False,
        stop_requested=False,
        streak=0,  # a stop ends any crash loop
        pid=0,  # one copy of the machine, not two; Changed keeps the old pid
    )
    return new, tuple(fx)


def _exited_unknown(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, Exited)
    new = replace(m, exitstatus=inp.status, pid=0, timer=None, deadline=None)
    return new, ()


def _timer(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, TimerFired)
    if inp.timer is not m.timer or m.deadline is None or now < m.deadline:
        return m, ()  # stale or early: nothing to do
    p = m.policy
    if inp.timer is Timer.STARTSECS and m.state is S.STARTING:
        return _running(m, [])
    if inp.timer is Timer.BACKOFF and m.state is S.BACKOFF:
        if not inp.may_restart:
            return replace(m, timer=None, deadline=None), ()
        return _start(m, Start(), now)
    if inp.timer is Timer.STOPWAIT and m.state is S.STOPPING:
        fx: list[Effect] = [
            Log("warn", f"killing '{p.name}' ({m.pid}) with SIGKILL"),
            Kill(int(signal.SIGKILL), p.killasgroup),
        ]
        if p.stopwaitsecs <= 0:
            # supervisord re-sends every stopwaitsecs; with 0 that is a spin.
            # One SIGKILL, then the exit is awaited (it cannot be refused).
            return replace(m, killing=True, timer=None, deadline=None), tuple(fx)
        # SIGKILL is resent every stopwaitsecs until the child is reaped.
        return replace(m, killing=True, deadline=now + p.stopwaitsecs), tuple(fx)
    if inp.timer is Timer.RESTART and m.state is S.EXITED:
        if not inp.may_restart:
            return replace(m, timer=None, deadline=None), ()
        return _start(m, Start(), now)
    if inp.timer is Timer.COOLDOWN and m.state is S.FATAL:
        if not inp.may_restart:
            return replace(m, timer=None, deadline=None), ()
        restarted, fx_start = _start(replace(m, backoff=0), Start(), now)
        why = f"{p.name}: retrying after fatal_cooldown ({p.pacing.fatal_cooldown:g}s)"
        return restarted, (Log("info", why), *fx_start)
    return m, ()


def _stop_running(m: Machine, inp: Input, now: float) -> Result:
    p = m.policy
    group = " process group" if p.stopasgroup else ""
    fx: list[Effect] = [
        Log("debug", f"killing {p.name} (pid {m.pid}){group} with signal {_signame(p.stopsignal)}"),
        Kill(p.stopsignal, p.stopasgroup),
    ]
    new = _go(
        m,
        S.STOPPING,
        fx,
        killing=True,
        stop_requested=True,
        timer=Timer.STOPWAIT,
        deadline=now + p.stopwaitsecs,
    )
    return new, tuple(fx)


def _stop_backoff(m: Machine, inp: Input, now: float) -> Result:
    fx: list[Effect] = []
    new = _go(m, S.STOPPED, fx, pid=0, timer=None, deadline=None)
    return new, tuple(fx)


def _give_up_backoff(m: Machine, inp: Input, now: float) -> Result:
    return _give_up(m, [])


def _cancel_pending(m: Machine, inp: Input, now: float) -> Result:
    """stop on a process waiting for a paced restart or a FATAL retry: no more tries."""
    if m.timer not in (Timer.RESTART, Timer.COOLDOWN):
        return m, ()
    fx: list[Effect] = []
    new = _go(m, S.STOPPED, fx, pid=0, timer=None, deadline=None, streak=0)
    return new, tuple(fx)
def _start_failed(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, StartFailed)
    fx: list[Effect] = [Log("warn", f"start failed: {m.policy.name}: {inp.error}")]
    return _enter_backoff(replace(m, backoff=max(0, inp.tries - 1)), fx, now, inp.error)


def _signal_failed(m: Machine, inp: Input, now: float) -> Result:
    assert isinstance(inp, SignalFailed)
    fx: list[Effect] = [
        Log("critical", f"unknown problem killing {m.policy.name} ({m.pid}): {inp.error}")
    ]
    new = _go(m, S.UNKNOWN, fx, timer=None, deadline=None, killing=False)
    return new, tuple(fx)


Handler = Callable[[Machine, Input, float], Result]

# The table. A (state, input) pair that is absent is ignored: the engine
# refuses invalid commands with a fault before they reach the machine, and
# late events (a timer for a state already left) are harmless no-ops.
# ``TARGETS`` lists the states each row may end in; unit tests check that
# every row keeps to it.
TABLE: dict[tuple[S, type], tuple[Handler, frozenset[S]]] = {
    (S.STOPPED, Start): (_start, frozenset({S.STARTING})),
    (S.EXITED, Start): (_start, frozenset({S.STARTING})),
    (S.FATAL, Start): (_start, frozenset({S.STARTING})),
    (S.BACKOFF, Start): (_start, frozenset({S.STARTING})),
    (S.STARTING, Spawned): (_spawned, frozenset({S.STARTING, S.RUNNING})),
    (S.STARTING, SpawnFailed): (_spawn_failed, frozenset({S.BACKOFF, S.FATAL})),
    (S.STARTING, Exited): (_exited_starting, frozenset({S.BACKOFF, S.FATAL, S.EXITED, S.STARTING})),
    (S.RUNNING, Exited): (_exited_running, frozenset({S.EXITED, S.STARTING})),
    (S.STOPPING, Exited): (_exited_stopping, frozenset({S.STOPPED})),
    (S.UNKNOWN, Exited): (_exited_unknown, frozenset({S.UNKNOWN})),
    (S.STARTING, TimerFired): (_timer, frozenset({S.STARTING, S.RUNNING})),
    (S.BACKOFF, TimerFired): (_timer, frozenset({S.BACKOFF, S.STARTING})),
    (S.STOPPING, TimerFired): (_timer, frozenset({S.STOPPING})),
    (S.EXITED, TimerFired): (_timer, frozenset({S.EXITED, S.STARTING})),
    (S.FATAL, TimerFired): (_timer, frozenset({S.FATAL, S.STARTING})),
    (S.EXITED, Stop): (_cancel_pending, frozenset({S.EXITED, S.STOPPED})),
    (S.FATAL, Stop): (_cancel_pending, frozenset({S.FATAL, S.STOPPED})),
    (S.STARTING, Stop): (_stop_running, frozenset({S.STOPPING})),
    (S.RUNNING, Stop): (_stop_running, frozenset({S.STOPPING})),
    (S.BACKOFF, Stop): (_stop_backoff, frozenset({S.STOPPED})),
    (S.BACKOFF, GiveUp): (_give_up_backoff, frozenset({S.FATAL})),
    (S.STOPPED, StartFailed): (_start_failed, frozenset({S.BACKOFF, S.FATAL})),
    (S.STARTING, SignalFailed): (_signal_failed, frozenset({S.UNKNOWN})),
    (S.RUNNING, SignalFailed): (_signal_failed, frozenset({S.UNKNOWN})),
    (S.STOPPING, SignalFailed): (_signal_failed, frozenset({S.UNKNOWN})),
}


def step(m: Machine, inp: Input, now: float) -> Result:
    """Apply one input; absent table rows leave the machine unchanged."""
    row = TABLE.get((m.state, type(inp)))
    if row is None:
        return m, ()
    return row[0](m, inp, now)
