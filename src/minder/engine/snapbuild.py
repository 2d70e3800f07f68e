"""ProcessSnapshot and VitalsSnapshot built at a third of their constructors' cost.

Every ``getAllProcessInfo`` / ``minderctl status``, web UI page and
``/metrics`` scrape takes a snapshot of every process: at 5,000 processes
that is 10,000 frozen dataclasses a call. Their generated ``__init__`` sets
each field through ``object.__setattr__`` (the frozen class refuses plain
assignment), ~4 us for a ProcessSnapshot and ~3 us for its VitalsSnapshot,
about half of what minderd spent answering ``minderctl status``. Neither
class has a ``__post_init__`` or a default that computes anything, so
setting each slot through its own descriptor builds the same value in
~1.3 us. ``tests/unit/engine/test_snapbuild.py`` checks that the builders
set every field the classes have, so a field added later cannot be missed.
"""

from __future__ import annotations

from typing import Any

from minder.engine.api import ProcessSnapshot, VitalsSnapshot
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState

_new = object.__new__


def _setters(cls: type, names: str) -> tuple[Any, ...]:
    return tuple(cls.__dict__[name].__set__ for name in names.split())


(
    _ready, _ready_check, _health_check, _status, _health_failures, _last_answer, _restarts,
    _health_restarts, _memory_restarts, _last_exit, _essential, _waiting,
) = _setters(
    VitalsSnapshot,
    "ready ready_check health_check status health_failures last_answer restarts"
    " health_restarts memory_restarts last_exit essential waiting",
)

(
    _group, _name, _state, _pid, _start, _stop, _now, _exitstatus, _spawnerr, _stdout_logfile,
    _stderr_logfile, _spec, _group_priority, _next_start, _vitals,
) = _setters(
    ProcessSnapshot,
    "group name state pid start stop now exitstatus spawnerr stdout_logfile stderr_logfile"
    " spec group_priority next_start vitals",
)


def new_vitals(
    *,
    ready: bool,
    ready_check: str,
    health_check: str,
    status: str,
    health_failures: int,
    last_answer: str,
    restarts: int,
    health_restarts: int,
    memory_restarts: int,
    last_exit: str,
    essential: bool,
    waiting: str,
) -> VitalsSnapshot:
    """``VitalsSnapshot(...)`` with every field given."""
    v: VitalsSnapshot = _new(VitalsSnapshot)
    _ready(v, ready)
    _ready_check(v, ready_check)
    _health_check(v, health_check)
    _status(v, status)
    _health_failures(v, health_failures)
    _last_answer(v, last_answer)
    _restarts(v, restarts)
    _health_restarts(v, health_restarts)
    _memory_restarts(v, memory_restarts)
    _last_exit(v, last_exit)
    _essential(v, essential)
    _waiting(v, waiting)
    return v


def new_snapshot(
    *,
    group: str,
    name: str,
    state: ProcessState,
    pid: int,
    start: float,
    stop: float,
    now: float,
    exitstatus: int,
    spawnerr: str,
    stdout_logfile: str,
    stderr_logfile: str,
    spec: ProcessSpec,
    group_priority: int,
    next_start: float,
    vitals: VitalsSnapshot | None,
) -> ProcessSnapshot:
    """``ProcessSnapshot(...)`` with every field given."""
    s: ProcessSnapshot = _new(ProcessSnapshot)
    _group(s, group)
    _name(s, name)
    _state(s, state)
    _pid(s, pid)
    _start(s, start)
    _stop(s, stop)
    _now(s, now)
    _exitstatus(s, exitstatus)
    _spawnerr(s, spawnerr)
    _stdout_logfile(s, stdout_logfile)
    _stderr_logfile(s, stderr_logfile)
    _spec(s, spec)
    _group_priority(s, group_priority)
    _next_start(s, next_start)
    _vitals(s, vitals)
    return s
