"""Restart pacing (model/pacing.py) and the machine rows that use it, on a fake clock."""

from __future__ import annotations

import random

import pytest

from minder.model import machine as mc
from minder.model import pacing as pc
from minder.model.specs import AutoRestart
from minder.protocol.states import ProcessState as S


def test_a_process_that_stayed_up_restarts_at_once() -> None:
    p = pc.Pacing()
    assert pc.crash_streak(p, 7, uptime=p.reset) == 0
    assert pc.crash_delay(p, 0, rand=0.99) == 0.0


def test_quick_exits_double_the_delay_up_to_the_cap() -> None:
    p = pc.Pacing(first=0.1, factor=2, cap=30)
    delays = [pc.crash_delay(p, n, rand=0.5) for n in range(1, 12)]
    assert delays[:4] == pytest.approx([0.1, 0.2, 0.4, 0.8])
    assert max(delays) == pytest.approx(30.0)
    assert delays == sorted(delays)


def test_jitter_stays_within_a_quarter_either_way() -> None:
    p = pc.Pacing(first=1.0)
    assert pc.crash_delay(p, 1, rand=0.0) == pytest.approx(0.75)
    assert pc.crash_delay(p, 1, rand=0.999999) == pytest.approx(1.25, rel=1e-5)


def test_a_huge_streak_does_not_overflow() -> None:
    assert pc.crash_delay(pc.Pacing(cap=5), 10_000, rand=0.5) == pytest.approx(5.0)


def test_zero_first_delay_turns_pacing_off() -> None:
    assert pc.crash_delay(pc.Pacing(first=0), 9, rand=0.5) == 0.0


def test_failed_starts_keep_supervisords_linear_delay() -> None:
    p = pc.Pacing()
    assert [pc.failed_start_delay(p, n) for n in (1, 2, 3, 50)] == [1, 2, 3, 50]
    assert pc.gives_up(p, 4, startretries=3) and not pc.gives_up(p, 3, startretries=3)


def test_forever_never_gives_up_and_caps_the_delay() -> None:
    p = pc.Pacing(forever=True, cap=10)
    assert not pc.gives_up(p, 10_000, startretries=3)
    assert pc.failed_start_delay(p, 50) == 10.0


def _looping(**pacing: object) -> tuple[mc.Machine, float]:
    policy = mc.Policy(name="p", startsecs=0, autorestart=AutoRestart.ALWAYS,
                       pacing=pc.Pacing(**pacing))  # type: ignore[arg-type]
    m, _ = mc.step(mc.Machine(policy), mc.Start(), 0.0)
    m, _ = mc.step(m, mc.Spawned(10), 0.0)
    assert m.state is S.RUNNING
    return m, 0.0


def test_a_crash_loop_over_20_seconds_stays_under_two_restarts_a_second() -> None:
    m, now = _looping()
    rng = random.Random(4)
    starts = 0
    while now < 20.0:
        m, fx = mc.step(m, mc.Exited(1, rand=rng.random()), now + 0.001)
        now += 0.001
        if m.state is S.EXITED:
            assert m.timer is mc.Timer.RESTART and m.deadline is not None
            now = m.deadline
            m, fx = mc.step(m, mc.TimerFired(mc.Timer.RESTART), now)
        assert m.state is S.STARTING and any(isinstance(e, mc.Spawn) for e in fx)
        starts += 1
        m, _ = mc.step(m, mc.Spawned(10 + starts), now)
    assert starts / 20.0 <= 2.0


def test_a_long_run_ends_the_loop_and_restarts_at_once() -> None:
    m, now = _looping()
    for _ in range(5):  # five quick exits: the delay has grown
        m, _ = mc.step(m, mc.Exited(1), now + 0.01)
        assert m.deadline is not None
        now = m.deadline
        m, _ = mc.step(m, mc.TimerFired(mc.Timer.RESTART), now)
        m, _ = mc.step(m, mc.Spawned(11), now)
    assert m.streak == 5
    m, fx = mc.step(m, mc.Exited(1), now + 3.0)  # up for 3 s, then crashed
    assert m.state is S.STARTING and m.streak == 0
    assert any(isinstance(e, mc.Spawn) for e in fx)


def test_a_paced_restart_is_logged_with_its_delay() -> None:
    m, now = _looping(first=0.5)
    m, fx = mc.step(m, mc.Exited(1, rand=0.5), now + 0.01)
    logs = [e.message for e in fx if isinstance(e, mc.Log)]
    assert "crash loop: p exited 1 time in a row within 1s of starting; restart in 0.5s" in logs


def test_stop_cancels_a_pending_restart() -> None:
    m, now = _looping()
    m, _ = mc.step(m, mc.Exited(1), now + 0.01)
    m, fx = mc.step(m, mc.Stop(), now + 0.02)
    assert m.state is S.STOPPED and m.timer is None and m.streak == 0
    assert [e.to_state for e in fx if isinstance(e, mc.Changed)] == [S.STOPPED]


def test_shutdown_drops_a_pending_restart() -> None:
    m, now = _looping()
    m, _ = mc.step(m, mc.Exited(1), now + 0.01)
    assert m.deadline is not None
    m, fx = mc.step(m, mc.TimerFired(mc.Timer.RESTART, may_restart=False), m.deadline)
    assert m.state is S.EXITED and m.timer is None and fx == ()


def _fatal(**pacing: object) -> tuple[mc.Machine, float]:
    policy = mc.Policy(name="p", startsecs=1, startretries=0,
                       pacing=pc.Pacing(**pacing))  # type: ignore[arg-type]
    m, _ = mc.step(mc.Machine(policy), mc.Start(), 0.0)
    m, _ = mc.step(m, mc.Spawned(10), 0.0)
    m, _ = mc.step(m, mc.Exited(1), 0.1)
    assert m.state is S.FATAL
    return m, 0.1


def test_fatal_stays_fatal_by_default() -> None:
    m, _ = _fatal()
    assert m.timer is None


def test_fatal_cooldown_tries_again_from_scratch() -> None:
    m, now = _fatal(fatal_cooldown=60)
    assert m.timer is mc.Timer.COOLDOWN and m.deadline == pytest.approx(now + 60)
    m, fx = mc.step(m, mc.TimerFired(mc.Timer.COOLDOWN), now + 60)
    assert m.state is S.STARTING and m.backoff == 0
    assert any(isinstance(e, mc.Spawn) for e in fx)


def test_forever_keeps_backing_off_without_fatal() -> None:
    policy = mc.Policy(name="p", startsecs=1, startretries=1,
                       pacing=pc.Pacing(forever=True, cap=4))
    m, _ = mc.step(mc.Machine(policy), mc.Start(), 0.0)
    now = 0.0
    for _ in range(10):
        m, _ = mc.step(m, mc.Spawned(10), now)
        m, _ = mc.step(m, mc.Exited(1), now + 0.1)
        assert m.state is S.BACKOFF and m.deadline is not None
        assert m.deadline - (now + 0.1) <= 4 + 1e-9
        now = m.deadline
        m, _ = mc.step(m, mc.TimerFired(mc.Timer.BACKOFF), now)
    assert m.backoff == 10


def test_stopwaitsecs_zero_sends_sigkill_once() -> None:
    policy = mc.Policy(name="p", startsecs=0, stopwaitsecs=0)
    m, _ = mc.step(mc.Machine(policy), mc.Start(), 0.0)
    m, _ = mc.step(m, mc.Spawned(10), 0.0)
    m, _ = mc.step(m, mc.Stop(), 1.0)
    assert m.timer is mc.Timer.STOPWAIT and m.deadline == 1.0
    m, fx = mc.step(m, mc.TimerFired(mc.Timer.STOPWAIT), 1.0)
    assert [e for e in fx if isinstance(e, mc.Kill)] == [mc.Kill(9, False)]
    assert m.timer is None and m.state is S.STOPPING  # waits for the exit, no re-arm
