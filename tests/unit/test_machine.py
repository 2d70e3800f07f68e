"""The process state machine, driven from its own table with a fake clock."""

from __future__ import annotations

import signal
from dataclasses import replace
from typing import Any

import pytest

from minder.model import machine as mc
from minder.model.specs import AutoRestart
from minder.protocol.states import ProcessState as S


def policy(**kw: object) -> mc.Policy:
    return mc.Policy(name="p", **kw)  # type: ignore[arg-type]


class Driver:
    """Feeds inputs at fake times and keeps every effect for inspection."""

    def __init__(self, **kw: object) -> None:
        self.m = mc.Machine(policy(**kw))
        self.now = 100.0
        self.effects: list[mc.Effect] = []

    def feed(self, inp: mc.Input, at: float | None = None) -> Driver:
        if at is not None:
            self.now = at
        self.m, fx = mc.step(self.m, inp, self.now)
        self.effects.extend(fx)
        return self

    def fire(self) -> Driver:
        assert self.m.timer is not None and self.m.deadline is not None
        return self.feed(mc.TimerFired(self.m.timer), at=self.m.deadline)

    def states(self) -> list[S]:
        return [e.to_state for e in self.effects if isinstance(e, mc.Changed)]

    def logs(self) -> list[str]:
        return [e.message for e in self.effects if isinstance(e, mc.Log)]


def started(**kw: object) -> Driver:
    return Driver(**kw).feed(mc.Start()).feed(mc.Spawned(42))


# One representative machine per state, to drive every table row.
def machine_in(state: S) -> mc.Machine:
    base = mc.Machine(policy(), laststart=50.0)
    match state:
        case S.STARTING:
            return replace(base, state=state, pid=42, timer=mc.Timer.STARTSECS, deadline=51.0)
        case S.RUNNING:
            return replace(base, state=state, pid=42)
        case S.BACKOFF:
            return replace(base, state=state, backoff=1, timer=mc.Timer.BACKOFF, deadline=101.0)
        case S.STOPPING:
            return replace(
                base, state=state, pid=42, killing=True, timer=mc.Timer.STOPWAIT, deadline=110.0
            )
        case S.EXITED:  # waiting for a paced restart (model/pacing.py)
            return replace(base, state=state, timer=mc.Timer.RESTART, deadline=100.5)
        case S.FATAL:  # waiting for its fatal_cooldown
            return replace(base, state=state, timer=mc.Timer.COOLDOWN, deadline=130.0)
        case _:
            return replace(base, state=state)


SAMPLE_INPUTS: dict[type, mc.Input] = {
    mc.Start: mc.Start(),
    mc.Spawned: mc.Spawned(42),
    mc.SpawnFailed: mc.SpawnFailed("can't find command 'x'"),
    mc.Exited: mc.Exited(1),
    mc.Stop: mc.Stop(),
    mc.GiveUp: mc.GiveUp(),
    mc.SignalFailed: mc.SignalFailed("EPERM"),
    mc.StartFailed: mc.StartFailed("not ready within 5s (ready_deadline)", 1),
}


def sample_input(kind: type, m: mc.Machine) -> mc.Input:
    if kind is mc.TimerFired:
        assert m.timer is not None
        return mc.TimerFired(m.timer)
    return SAMPLE_INPUTS[kind]


def _row_order(row: Any) -> tuple[S, str]:
    return row[0], row[1].__name__


@pytest.mark.parametrize(("state", "kind"), sorted(mc.TABLE, key=_row_order))
def test_every_row_ends_in_one_of_its_declared_states(state: S, kind: type) -> None:
    m = machine_in(state)
    inp = sample_input(kind, m)
    now = m.deadline if m.deadline is not None else 200.0
    new, effects = mc.step(m, inp, now)
    _, targets = mc.TABLE[(state, kind)]
    assert new.state in targets
    # Every Changed effect chains: each starts where the previous ended.
    current = state
    for effect in effects:
        if isinstance(effect, mc.Changed):
            assert effect.from_state is current
            current = effect.to_state
    assert current is new.state


ALL_INPUT_KINDS = [*SAMPLE_INPUTS, mc.TimerFired]


@pytest.mark.parametrize("state", list(S))
def test_pairs_absent_from_the_table_change_nothing(state: S) -> None:
    m = machine_in(state)
    for kind in ALL_INPUT_KINDS:
        if (state, kind) in mc.TABLE:
            continue
        inp = mc.TimerFired(mc.Timer.STARTSECS) if kind is mc.TimerFired else SAMPLE_INPUTS[kind]
        assert mc.step(m, inp, 1000.0) == (m, ())


def test_start_spawns_and_startsecs_makes_it_running() -> None:
    d = started(startsecs=1)
    assert d.m.state is S.STARTING and d.m.pid == 42
    assert isinstance(d.effects[1], mc.Spawn)
    assert d.m.deadline == pytest.approx(101.0)
    d.fire()
    assert d.m.state is S.RUNNING and d.m.backoff == 0
    assert (
        "success: p entered RUNNING state, process has stayed up for > than 1 seconds "
        "(startsecs)" in d.logs()
    )


def test_startsecs_zero_is_running_at_once() -> None:
    d = started(startsecs=0)
    assert d.m.state is S.RUNNING and d.m.timer is None


def test_early_timer_is_ignored() -> None:
    d = started(startsecs=5)
    d.feed(mc.TimerFired(mc.Timer.STARTSECS), at=d.now + 1)
    assert d.m.state is S.STARTING


def test_stale_timer_kind_is_ignored() -> None:
    d = started()
    d.feed(mc.TimerFired(mc.Timer.STOPWAIT), at=1e9)
    assert d.m.state is S.STARTING


def test_exit_within_startsecs_is_backoff_even_with_code_zero() -> None:
    d = started(startsecs=1).feed(mc.Exited(0), at=100.2)
    assert d.m.state is S.BACKOFF and d.m.backoff == 1
    assert d.m.spawnerr == "Exited too quickly (process log may have details)"
    assert "exited: p (exit status 0; not expected)" in d.logs()


def test_backoff_delays_grow_one_two_three_then_fatal() -> None:
    d = Driver(startretries=3, startsecs=1).feed(mc.Start(), at=0.0)
    spawn_times = []
    for _ in range(4):
        d.feed(mc.Spawned(7))
        spawn_times.append(d.now)
        d.feed(mc.Exited(1), at=d.now + 0.01)
        if d.m.state is S.BACKOFF:
            d.fire()
    assert [round(t - spawn_times[0], 2) for t in spawn_times] == [0.0, 1.01, 3.02, 6.03]
    assert d.m.state is S.FATAL
    assert d.logs()[-1] == "gave up: p entered FATAL state, too many start retries too quickly"
    assert d.states()[-2:] == [S.BACKOFF, S.FATAL]


def test_tries_counts_in_events() -> None:
    d = started(startretries=5).feed(mc.Exited(1), at=100.1)
    backoff = [e for e in d.effects if isinstance(e, mc.Changed) and e.to_state is S.BACKOFF]
    assert backoff[0].tries == 1
    d.fire()
    starting = [e for e in d.effects if isinstance(e, mc.Changed) and e.to_state is S.STARTING]
    assert [e.tries for e in starting] == [0, 1]


def test_spawn_error_goes_to_backoff_and_retries() -> None:
    d = Driver(startretries=1).feed(mc.Start()).feed(mc.SpawnFailed("can't find command 'x'"))
    assert d.m.state is S.BACKOFF and d.m.spawnerr == "can't find command 'x'"
    d.fire()
    assert d.m.state is S.STARTING and isinstance(d.effects[-1], mc.Spawn)
    d.feed(mc.SpawnFailed("can't find command 'x'"))
    assert d.m.state is S.FATAL


def test_running_backoff_counter_resets() -> None:
    d = started(startretries=1).feed(mc.Exited(1), at=100.1).fire()
    d.feed(mc.Spawned(43)).fire()
    assert d.m.state is S.RUNNING and d.m.backoff == 0


@pytest.mark.parametrize(
    ("autorestart", "status", "sig", "restarts", "expected"),
    [
        (AutoRestart.UNEXPECTED, 0, 0, False, True),
        (AutoRestart.UNEXPECTED, 3, 0, True, False),
        (AutoRestart.UNEXPECTED, -1, 9, True, False),  # a signal death is never expected
        (AutoRestart.ALWAYS, 0, 0, True, True),
        (AutoRestart.NEVER, 3, 0, False, False),
    ],
)
def test_autorestart_after_running(
    autorestart: AutoRestart, status: int, sig: int, restarts: bool, expected: bool
) -> None:
    d = started(autorestart=autorestart).fire()
    d.feed(mc.Exited(status, sig), at=d.now + 10)
    exited = [e for e in d.effects if isinstance(e, mc.Changed) and e.to_state is S.EXITED]
    assert exited[0].expected is expected and exited[0].pid == 42
    assert d.m.state is (S.STARTING if restarts else S.EXITED)
    assert d.m.exitstatus == status
    if not expected:
        assert any(f"exit status {status}" in x or "terminated by" in x for x in d.logs())


def test_exitcodes_decide_expected() -> None:
    d = started(exitcodes=(0, 3)).fire().feed(mc.Exited(3), at=200.0)
    assert d.m.state is S.EXITED and d.m.spawnerr == ""


def test_no_autorestart_while_shutting_down() -> None:
    d = started().fire().feed(mc.Exited(1, may_restart=False), at=200.0)
    assert d.m.state is S.EXITED


def test_exit_after_startsecs_before_timer_passes_through_running() -> None:
    d = started(startsecs=1, autorestart=AutoRestart.NEVER).feed(mc.Exited(0), at=102.0)
    assert d.states() == [S.STARTING, S.RUNNING, S.EXITED]


def test_stop_signal_then_sigkill_after_stopwaitsecs() -> None:
    d = started(stopsignal=int(signal.SIGINT), stopwaitsecs=2).fire()
    d.feed(mc.Stop(), at=200.0)
    assert d.m.state is S.STOPPING
    assert mc.Kill(int(signal.SIGINT), False) in d.effects
    assert "killing p (pid 42) with signal SIGINT" in d.logs()
    d.fire()
    assert d.now == 202.0 and d.m.state is S.STOPPING
    assert d.effects[-1] == mc.Kill(int(signal.SIGKILL), False)
    assert "killing 'p' (42) with SIGKILL" in d.logs()
    d.fire()  # SIGKILL is repeated while the child survives
    assert d.effects[-1] == mc.Kill(int(signal.SIGKILL), False)
    d.feed(mc.Exited(-1, int(signal.SIGKILL)))
    assert d.m.state is S.STOPPED and d.m.timer is None
    assert d.logs()[-1] == "stopped: p (terminated by SIGKILL)"


def test_stop_as_group_kills_group() -> None:
    d = started(stopasgroup=True, killasgroup=True).fire().feed(mc.Stop())
    assert mc.Kill(int(signal.SIGTERM), True) in d.effects
    assert "killing p (pid 42) process group with signal SIGTERM" in d.logs()
    d.fire()
    assert d.effects[-1] == mc.Kill(int(signal.SIGKILL), True)


def test_stop_with_clean_exit_logs_info() -> None:
    d = started().fire().feed(mc.Stop()).feed(mc.Exited(0))
    assert d.m.state is S.STOPPED
    assert d.effects[-2] == mc.Log("info", "stopped: p (exit status 0)")
    stopped = [e for e in d.effects if isinstance(e, mc.Changed) and e.to_state is S.STOPPED]
    assert stopped[0].pid == 42


def test_stop_in_starting() -> None:
    d = started().feed(mc.Stop())
    assert d.m.state is S.STOPPING


def test_stop_in_backoff_sends_nothing() -> None:
    d = started().feed(mc.Exited(1), at=100.1)
    before = len(d.effects)
    d.feed(mc.Stop())
    assert d.m.state is S.STOPPED and d.m.timer is None
    assert not [e for e in d.effects[before:] if isinstance(e, mc.Kill)]
    stopped = [e for e in d.effects if isinstance(e, mc.Changed) and e.to_state is S.STOPPED]
    assert stopped[0].pid == 0


def test_give_up_in_backoff_is_fatal() -> None:
    d = started().feed(mc.Exited(1), at=100.1).feed(mc.GiveUp())
    assert d.m.state is S.FATAL


def test_backoff_timer_during_shutdown_does_not_respawn() -> None:
    d = started().feed(mc.Exited(1), at=100.1)
    d.feed(mc.TimerFired(mc.Timer.BACKOFF, may_restart=False), at=200.0)
    assert d.m.state is S.BACKOFF and d.m.timer is None


def test_signal_failure_is_unknown_and_restartable() -> None:
    d = started().fire().feed(mc.SignalFailed("EPERM"))
    assert d.m.state is S.UNKNOWN
    d.feed(mc.Exited(0))
    assert d.m.state is S.UNKNOWN and d.m.pid == 0


def test_restart_from_fatal_and_exited() -> None:
    for state in (S.FATAL, S.EXITED, S.STOPPED):
        d = Driver()
        d.m = replace(d.m, state=state)
        d.feed(mc.Start())
        assert d.m.state is S.STARTING and d.m.spawnerr == ""


def test_policy_from_spec_makes_stopasgroup_imply_killasgroup() -> None:
    from minder.model.specs import ProcessSpec

    spec = ProcessSpec(name="x", program_name="x", command="true", stopasgroup=True)
    assert mc.Policy.from_spec(spec).killasgroup is True


def test_a_start_failed_after_the_stop_backs_off_then_gives_up_at_startretries() -> None:
    m = mc.Machine(mc.Policy("p", startretries=2))
    m, effects = mc.step(m, mc.StartFailed("not ready within 5s", 1), 100.0)
    assert m.state is S.BACKOFF and m.backoff == 1 and m.deadline == pytest.approx(101.0)
    assert m.spawnerr == "not ready within 5s"
    assert any(isinstance(e, mc.Log) and "start failed: p" in e.message for e in effects)
    m = replace(m, state=S.STOPPED)
    m, _ = mc.step(m, mc.StartFailed("not ready within 5s", 3), 200.0)
    assert m.state is S.FATAL
