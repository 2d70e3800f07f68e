"""Run scenarios against each daemon alternately and collect raw values.

Order alternates per repetition (A B, B A, ...) so that drift on a shared
machine (other people's tests, page cache, thermal) lands on both daemons.
Each run gets a fresh temp dir and its own time limit; a failure becomes
an error string in the results, never an exception out of the bench.
"""

from __future__ import annotations

import shutil
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench import watchdog
from bench.scenarios.base import Scenario


@dataclass
class Outcome:
    """Every value and error one daemon produced in one scenario."""

    values: dict[str, list[float]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)


Results = dict[str, dict[str, Outcome]]  # scenario name -> daemon -> outcome


def run_once(
    scenario: Scenario, kind: str, *, use_alarm: bool = True, kept: list[Path] | None = None
) -> dict[str, float]:
    """One run in a fresh temp dir; raises on failure (the caller records it).

    The dir is deleted at once, or appended to ``kept`` for the caller to
    delete later when the scenario asks for ``keep_until_end``.
    """
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-{kind}-"))
    try:
        with watchdog.limit(scenario.timeout, enabled=use_alarm):
            return scenario.run(kind, workdir)
    finally:
        if scenario.keep_until_end and kept is not None:
            kept.append(workdir)
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def run_all(
    scenarios: list[Scenario],
    daemons: list[str],
    reps: int,
    *,
    use_alarm: bool = True,
    log: Callable[[str], None] = print,
    after_each: Callable[[Results], None] | None = None,
) -> Results:
    """Run every scenario; ``after_each`` sees the results so far (to save them)."""
    kept: list[Path] = []
    try:
        return _run_scenarios(scenarios, daemons, reps, use_alarm, log, after_each, kept)
    finally:
        for workdir in kept:  # the keep_until_end scenarios' dirs, now that no run follows
            shutil.rmtree(workdir, ignore_errors=True)


def _run_scenarios(
    scenarios: list[Scenario],
    daemons: list[str],
    reps: int,
    use_alarm: bool,
    log: Callable[[str], None],
    after_each: Callable[[Results], None] | None,
    kept: list[Path],
) -> Results:
    results: Results = {}
    for scenario in scenarios:
        per = results.setdefault(scenario.name, {k: Outcome() for k in daemons})
        for rep in range(min(reps, scenario.max_reps or reps)):
            order = daemons if rep % 2 == 0 else list(reversed(daemons))
            for kind in order:
                out = per[kind]
                t0 = time.monotonic()
                try:
                    values = run_once(scenario, kind, use_alarm=use_alarm, kept=kept)
                except Exception as exc:
                    msg = f"{type(exc).__name__}: {exc}".splitlines()[0][:160]
                    out.errors.append(msg)
                    log(f"  {scenario.name:<24} {kind:<12} rep {rep + 1}: FAILED {msg}")
                    if not isinstance(exc, (watchdog.RunTimeout, OSError)) and not _expected(exc):
                        log(traceback.format_exc(limit=3))
                    continue
                finally:
                    out.seconds.append(time.monotonic() - t0)
                for key, value in values.items():
                    out.values.setdefault(key, []).append(value)
                shown = ", ".join(f"{k}={v:.4g}" for k, v in values.items())
                log(f"  {scenario.name:<24} {kind:<12} rep {rep + 1}: {shown}")
        if after_each is not None:
            after_each(results)
    return results


def _expected(exc: Exception) -> bool:
    from bench.daemons import BenchError
    from bench.rpc import RpcFault

    return isinstance(exc, (BenchError, RpcFault))
