"""The connection budget's choice of who gives way (http/limits.py)."""

from __future__ import annotations

from minder.http.limits import ConnectionBudget, fd_ceiling


class Conn:
    def __init__(self, name: str, evictable: bool = True) -> None:
        self.name = name
        self.evictable = evictable
        self.evicted = False

    def evict(self) -> None:
        self.evicted = True


def test_over_the_cap_the_oldest_without_a_head_gives_way() -> None:
    budget = ConnectionBudget(limit=3)
    busy, idle, fresh = Conn("busy", evictable=False), Conn("idle"), Conn("fresh")
    for conn in (busy, idle, fresh):
        assert budget.admit(conn, fileno=5)
    budget.settle(busy)
    budget.settle(idle)
    newcomer = Conn("new")
    assert budget.admit(newcomer, fileno=5)
    assert fresh.evicted and not idle.evicted and not busy.evicted
    budget.settle(newcomer)
    another = Conn("another")
    assert budget.admit(another, fileno=5)  # no head-less one left: the idle one goes
    assert idle.evicted and not busy.evicted and len(budget) == 3


def test_nobody_can_give_way_means_the_newcomer_is_refused() -> None:
    budget = ConnectionBudget(limit=1)
    assert budget.admit(Conn("call", evictable=False), fileno=5)
    assert not budget.admit(Conn("new"), fileno=5)
    assert budget.refused == 1


def test_the_descriptor_reserve_is_kept() -> None:
    budget = ConnectionBudget(limit=1000)
    old = Conn("old")
    assert budget.admit(old, fileno=5)
    assert budget.admit(Conn("new"), fileno=fd_ceiling())  # into the reserve: someone goes
    assert old.evicted
    # deeper in than anyone can free: refused
    assert not budget.admit(Conn("late"), fileno=fd_ceiling() + 5)
