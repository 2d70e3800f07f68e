"""minder's keys for restart pacing and process containment (issue 14).

Kept apart from ``programs.py`` and ``daemon_section.py`` so the keys of
one feature are read in one place: the ``[program:x]`` block (backoff,
FATAL cool-down, ``killdescendants``, ``essential``) and the
``[supervisord]`` block (``containment``, ``container``,
``childlogs_to_stdout``). Their defaults and meanings are in
``config/schema.py``; the arithmetic they feed is in ``model/pacing.py``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

from minder.config import values
from minder.config.context import SectionReader
from minder.config.diagnostics import ValueProblem
from minder.model.pacing import Pacing
from minder.records import record

CONTAINMENT_MODES = ("auto", "cgroup", "subreaper", "off")

Names = Mapping[str, str | int]


def seconds(text: str) -> float:
    """A non-negative duration in seconds; decimals allowed (``0.5``)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueProblem(f"not a number of seconds: {text!r}",
                           "write seconds as a number, e.g. 0.5 or 30") from None
    if not math.isfinite(value) or value < 0:
        raise ValueProblem(f"{text!r} is not a duration", "use 0 or a positive number")
    return value


def factor(text: str) -> float:
    value = seconds(text)
    if value < 1:
        raise ValueProblem(f"a backoff factor below 1 ({text}) would shrink the delay",
                           "use 1 (constant delay) or more, e.g. 2")
    return value


def containment_mode(text: str) -> str:
    lowered = text.strip().lower()
    if lowered not in CONTAINMENT_MODES:
        raise ValueProblem(f"unknown containment mode {text!r}",
                           f"use one of {', '.join(CONTAINMENT_MODES)}")
    return lowered


@record
class ProgramContainment:
    """A program's minder keys for restart pacing, descendants and essential exits."""

    pacing: Pacing
    killdescendants: bool
    essential: bool


def read_program_keys(r: SectionReader, names: Names) -> ProgramContainment:
    d = Pacing()
    first = r.get("restart_backoff_secs", seconds, d.first, names)
    cap = r.get("restart_backoff_max", seconds, d.cap, names)
    if cap < first:
        r.error("restart_backoff_max",
                f"restart_backoff_max ({cap:g}) is below restart_backoff_secs ({first:g})",
                "raise restart_backoff_max or lower restart_backoff_secs")
    pacing = Pacing(
        first=first,
        factor=r.get("restart_backoff_factor", factor, d.factor, names),
        cap=max(cap, first),
        reset=r.get("restart_backoff_reset", seconds, d.reset, names),
        fatal_cooldown=r.get("fatal_cooldown", seconds, d.fatal_cooldown, names),
        forever=r.get("startretries_forever", values.boolean, d.forever, names),
    )
    return ProgramContainment(
        pacing=pacing,
        killdescendants=r.get("killdescendants", values.boolean, True, names),
        essential=r.get("essential", values.boolean, False, names),
    )


@record
class DaemonContainment:
    """The ``[supervisord]`` keys for containment, container mode and shutdown."""

    containment: str
    container: bool
    childlogs_to_stdout: bool
    shutdown_timeout: float


def read_daemon_keys(r: SectionReader, names: Names) -> DaemonContainment:
    return DaemonContainment(
        containment=r.get("containment", containment_mode, "auto", names),
        container=r.get("container", values.boolean, False, names),
        childlogs_to_stdout=r.get("childlogs_to_stdout", values.boolean, False, names),
        shutdown_timeout=r.get("shutdown_timeout", seconds, 0.0, names),
    )
