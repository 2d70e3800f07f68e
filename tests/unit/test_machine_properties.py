"""Invariants of the state machine under arbitrary input sequences (hypothesis)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from minder.model import machine as mc
from minder.model.specs import AutoRestart
from minder.protocol.states import ProcessState as S

policies = st.builds(
    mc.Policy,
    name=st.just("p"),
    startsecs=st.integers(0, 3),
    startretries=st.integers(0, 4),
    autorestart=st.sampled_from(list(AutoRestart)),
    exitcodes=st.sampled_from([(0,), (0, 2), ()]),
    stopwaitsecs=st.integers(1, 5),
    stopasgroup=st.booleans(),
    killasgroup=st.booleans(),
)

inputs = st.one_of(
    st.just(mc.Start()),
    st.builds(mc.Spawned, st.integers(2, 99999)),
    st.builds(mc.SpawnFailed, st.just("can't find command 'x'")),
    st.builds(mc.Exited, st.integers(-1, 5), st.sampled_from([0, 9, 15]), st.booleans()),
    st.builds(mc.TimerFired, st.sampled_from(list(mc.Timer)), st.booleans()),
    st.just(mc.Stop()),
    st.just(mc.GiveUp()),
    st.builds(mc.SignalFailed, st.just("EPERM")),
)

TIMER_OF = {
    S.STARTING: mc.Timer.STARTSECS,
    S.BACKOFF: mc.Timer.BACKOFF,
    S.STOPPING: mc.Timer.STOPWAIT,
    S.EXITED: mc.Timer.RESTART,  # a paced restart after a quick exit
    S.FATAL: mc.Timer.COOLDOWN,  # a retry after fatal_cooldown
}


@settings(max_examples=300, deadline=None)
@given(policies, st.lists(st.tuples(inputs, st.floats(0, 5)), max_size=40))
def test_invariants_hold_for_any_input_sequence(
    policy: mc.Policy, steps: list[tuple[mc.Input, float]]
) -> None:
    m = mc.Machine(policy)
    now = 1000.0
    for inp, dt in steps:
        now += dt
        if isinstance(inp, mc.TimerFired) and m.deadline is not None and m.timer is inp.timer:
            now = max(now, m.deadline)  # fire timers when they are due, as the engine does
        before = m.state
        m, effects = mc.step(m, inp, now)
        # Changed effects chain from the old state to the new one.
        current = before
        for effect in effects:
            if isinstance(effect, mc.Changed):
                assert effect.from_state is current
                assert effect.to_state is not effect.from_state
                current = effect.to_state
        assert current is m.state
        # A pending timer always belongs to the state it serves.
        if m.timer is not None:
            assert TIMER_OF.get(m.state) is m.timer
            assert m.deadline is not None
        if m.state in (S.STOPPED, S.RUNNING):
            assert m.timer is None
        # No pid outside the states that have a live child.
        if m.state in (S.STOPPED, S.EXITED, S.FATAL, S.BACKOFF):
            assert m.pid == 0
        # The backoff counter never passes startretries + 1 and resets when FATAL.
        assert 0 <= m.backoff <= policy.startretries + 1
        if m.state is S.FATAL:
            assert m.backoff == 0
        # Kill effects only come with a stop, never out of nowhere.
        for effect in effects:
            if isinstance(effect, mc.Kill):
                assert m.state is S.STOPPING or before is S.STOPPING
