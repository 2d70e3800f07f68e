"""How big each peers scenario is (full, ``--quick``, and ``--n N`` for the smoke test)."""

from __future__ import annotations

from dataclasses import dataclass, replace

from bench.peers import scenarios as sc
from bench.scenarios.base import Scenario


@dataclass(frozen=True, slots=True)
class PeerSizes:
    fleet_n: int = 500
    idle_window: float = 20.0
    respawns: int = 6
    crash_window: float = 10.0
    log_bytes: int = 500_000_000
    line_writers: int = 20
    line_bytes: int = 5_000_000  # per line-writing child
    status_n: int = 100
    status_runs: int = 10
    scale_n: int = 5000
    scale_cap: float = 300.0


FULL = PeerSizes()
QUICK = PeerSizes(
    fleet_n=200, idle_window=5.0, respawns=3, crash_window=5.0, log_bytes=200_000_000,
    line_bytes=2_000_000, status_runs=5, scale_n=1000, scale_cap=120.0,
)


def tiny(n: int) -> PeerSizes:
    """Every count set to ``n`` (the smoke test keeps the peers bench from rotting)."""
    return replace(
        FULL, fleet_n=n, idle_window=1.0, respawns=1, crash_window=2.0,
        log_bytes=n * 200_000, line_writers=n, line_bytes=100_000, status_n=n,
        status_runs=2, scale_n=n, scale_cap=30.0,
    )


GROUPS = ("fleet", "respawn", "crashloop", "logs", "status", "scale")


def plan(s: PeerSizes, *, beside_floor: bool = True) -> list[Scenario]:
    """Every scenario; ``beside_floor=False`` (``--no-floors``): the fast writer
    runs without the splice floor next to each run."""
    return [
        sc.fleet(s.fleet_n, s.idle_window),
        sc.respawn(s.respawns),
        sc.crashloop(s.crash_window),
        sc.logs(1, s.log_bytes, lines=False, beside_floor=beside_floor),
        sc.logs(s.line_writers, s.line_bytes, lines=True),
        sc.status(s.status_n, s.status_runs),
        sc.scale(s.scale_n, s.scale_cap, min(3, s.status_runs)),
    ]
