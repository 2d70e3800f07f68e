"""How big each scenario is, in one place.

Sizes live in one dataclass so that ``--quick`` and the smoke test
(``--n 5``) shrink every scenario consistently.
"""

from __future__ import annotations

from dataclasses import dataclass, replace


@dataclass(frozen=True, slots=True)
class Sizes:
    spawn_ns: tuple[int, ...] = (100, 500)
    spawn_cap: float = 120.0
    idle_window: float = 20.0
    restarts: int = 50
    stops: int = 20
    crashloop_window: float = 20.0  # issue 14 asks for the loop counted over 20 s
    log_bytes: int = 500_000_000
    chatty_children: int = 20
    rpc_n: int = 500
    rpc_calls: int = 200
    load_seconds: float = 5.0
    load_clients: int = 4
    ctl_n: int = 100
    ctl_runs: int = 10
    stopall_n: int = 500
    scale_n: int = 5000
    scale_cap: float = 300.0
    probe_n: int = 500


FULL = Sizes()
QUICK = Sizes(
    spawn_ns=(50, 200),
    spawn_cap=90.0,
    idle_window=5.0,
    restarts=15,
    stops=8,
    log_bytes=200_000_000,
    rpc_n=200,
    rpc_calls=60,
    load_seconds=3.0,
    ctl_runs=5,
    stopall_n=200,
    scale_n=1000,
    scale_cap=120.0,
)


def tiny(sizes: Sizes, n: int) -> Sizes:
    """Every count set to ``n`` (the smoke test keeps the bench from rotting)."""
    return replace(
        sizes,
        spawn_ns=(n,),
        spawn_cap=30.0,
        idle_window=1.0,
        crashloop_window=2.0,
        restarts=n,
        stops=n,
        log_bytes=n * 1_000_000,
        chatty_children=n,
        rpc_n=n,
        rpc_calls=n,
        load_seconds=1.0,
        ctl_n=n,
        ctl_runs=n,
        stopall_n=n,
        scale_n=n,
        scale_cap=30.0,
        probe_n=n,
    )
