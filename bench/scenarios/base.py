"""What a scenario is, plus the helpers every scenario shares.

A scenario is a function ``(kind, workdir) -> {figure key: value}`` with a
name, a time limit and the list of figures it reports. The runner calls it
once per daemon per repetition in a fresh temp dir; the scenario writes its
config there, runs the daemon through ``daemons.running`` (which always
cleans up) and returns plain numbers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.daemons import BenchError, Daemon, wait_until

RunFn = Callable[[str, Any], dict[str, float]]


@dataclass(frozen=True, slots=True)
class Figure:
    key: str
    label: str
    unit: str


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    group: str  # the --only name (several scenarios may share one)
    run: RunFn
    figures: tuple[Figure, ...]
    timeout: float
    notes: str = ""
    max_reps: int = 0  # 0: as many as --reps; heavy scenarios cap it
    params: dict[str, Any] = field(default_factory=dict)
    # Keep each run's temp dir until the whole bench ends: on this VM's ext4,
    # creating files stays slow for minutes after many deletions nearby, so a
    # run that creates hundreds of files (AUTO logs, service dirs) right after
    # the previous run's rmtree measures that rmtree, not the supervisor.
    keep_until_end: bool = False


def states(daemon: Daemon) -> list[dict[str, Any]]:
    infos = daemon.call("supervisor.getAllProcessInfo", timeout=120)
    assert isinstance(infos, list)
    return infos


def count(infos: list[dict[str, Any]], *names: str) -> int:
    return sum(1 for info in infos if info["statename"] in names)


def wait_all(daemon: Daemon, n: int, state: str, deadline: float, interval: float = 0.05) -> float:
    """Wait until ``n`` processes are in ``state``; return monotonic time seen."""

    def done() -> float:
        daemon.check_alive()
        infos = states(daemon)
        return time.monotonic() if count(infos, state) >= n else 0.0

    return wait_until(done, deadline, f"{n} processes {state}", interval)


def wait_logged(
    daemon: Daemon, kind: str, n: int, deadline: float, *, confirm: str | None = None
) -> float:
    """Wait until the main log shows ``n`` events of ``kind``; return the
    wall-clock stamp of the n-th. ``confirm`` (a state name) then checks
    with one getAllProcessInfo call that the log told the truth."""
    log = daemon.mainlog
    while True:
        log.poll()
        if log.count(kind) >= n:
            break
        daemon.check_alive()
        if time.monotonic() > deadline:
            raise BenchError(f"main log shows {log.count(kind)}/{n} {kind} events at the deadline")
        time.sleep(0.02)
    if confirm is not None:
        infos = states(daemon)
        if count(infos, confirm) < n:
            raise BenchError(
                f"log shows {n} {kind} but RPC shows {count(infos, confirm)} {confirm}"
            )
    return log.nth(kind, n)


def fail_if_dead(daemon: Daemon) -> None:
    if daemon.proc.poll() is not None:
        raise BenchError(f"{daemon.kind} died during the run")
