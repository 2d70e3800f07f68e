"""The restart jitter's numbers (engine/restarting.py ``uniform``).

Each exit takes one, so they come from a pool of ``os.urandom`` bytes: the
numbers must still be uniform in [0, 1), never repeat a slice of the pool,
and a stop of many programs must not ask the kernel once per exit.
"""

from __future__ import annotations

import os

import pytest

from minder.engine import restarting


def test_numbers_are_in_range_and_spread(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    real = os.urandom

    def counting(n: int) -> bytes:
        calls.append(n)
        return real(n)

    monkeypatch.setattr(os, "urandom", counting)
    restarting._forget_pool()
    draws = [restarting.uniform() for _ in range(500)]
    assert all(0.0 <= d < 1.0 for d in draws)
    assert len(set(draws)) == len(draws)  # 56-bit draws: a repeat means a reused slice
    assert min(draws) < 0.1 and max(draws) > 0.9
    assert sum(draws) / len(draws) == pytest.approx(0.5, abs=0.06)
    # 500 exits' worth of numbers in 8 reads of the kernel's randomness, not 500
    assert len(calls) == -(-500 // restarting._POOL_DRAWS)


def test_a_forked_child_draws_its_own_numbers() -> None:
    restarting._forget_pool()
    restarting.uniform()  # the parent's pool is now filled
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: its next number, to the parent
        os.close(read)
        os.write(write, repr(restarting.uniform()).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as f:
        child_draw = float(f.read())
    os.waitpid(pid, 0)
    assert child_draw != restarting.uniform()  # the parent's next one from its pool
