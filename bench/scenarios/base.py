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
    params: dict[str, Any] = field(default_factory=dict)


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

    value = wait_until(done, deadline, f"{n} processes {state}", interval)
    assert isinstance(value, float)
    return value


def fail_if_dead(daemon: Daemon) -> None:
    if daemon.proc.poll() is not None:
        raise BenchError(f"{daemon.kind} died during the run")
