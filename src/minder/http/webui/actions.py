"""The web UI's verbs: a name -> EngineAPI call table, and the JSON shapes.

Nothing is decided here: which processes a bulk action touches, in which
order, and what is checked first all belong to the engine
(engine/control.py), which XML-RPC calls too, so both front ends agree.
This module maps the JSON API's and the legacy pages' action names onto
engine verbs and shapes the outcomes (bulk results never raise: each
process gets a result, so one failure does not hide the others).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from minder.engine.api import EngineAPI, GroupUpdate, Outcome, ProcessSnapshot
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec, split_namespec

Result = dict[str, Any]

# action -> (one process, a group or all); ``arg`` is wait, or the signal
OneVerb = Callable[[EngineAPI, str, str, Any], Awaitable[None]]
ManyVerb = Callable[[EngineAPI, "str | None", Any], Awaitable[list[Outcome]]]


async def _clear_one(api: EngineAPI, group: str, name: str, _: Any) -> None:
    api.clear_process_logs(group, name)


VERBS: dict[str, tuple[OneVerb, ManyVerb]] = {
    "start": (
        lambda api, g, n, wait: api.start_process(g, n, wait),
        lambda api, g, wait: api.start_processes(g, wait),
    ),
    "stop": (
        lambda api, g, n, wait: api.stop_process(g, n, wait),
        lambda api, g, wait: api.stop_processes(g, wait),
    ),
    "restart": (
        lambda api, g, n, wait: api.restart_process(g, n, wait),
        lambda api, g, wait: api.restart_processes(g, wait),
    ),
    "signal": (
        lambda api, g, n, sig: api.signal_process(g, n, sig),
        lambda api, g, sig: api.signal_processes(g, sig),
    ),
    "clear": (_clear_one, lambda api, g, _: api.clear_processes_logs(g)),
}
ACTIONS = tuple(VERBS)


def split_process(namespec: str) -> tuple[str, str]:
    """``group:name`` or ``name`` -> (group, name); a group form is BAD_NAME here."""
    group, name = split_namespec(namespec)
    if name is None:
        raise SupervisorFault(Faults.BAD_NAME, namespec)
    return group, name


def resolve_process(api: EngineAPI, namespec: str) -> ProcessSnapshot:
    return api.snapshot(*split_process(namespec))


def _verbs(action: str) -> tuple[OneVerb, ManyVerb]:
    verbs = VERBS.get(action)
    if verbs is None:
        raise SupervisorFault(Faults.BAD_ARGUMENTS, f"unknown action {action!r}")
    return verbs


async def act_on_process(api: EngineAPI, namespec: str, action: str, arg: Any = True) -> None:
    """One action on one process; raises SupervisorFault as the engine does."""
    group, name = split_process(namespec)
    await _verbs(action)[0](api, group, name, arg)


async def act_on_many(
    api: EngineAPI, group: str | None, action: str, arg: Any = True
) -> list[Result]:
    """One action on a group (or everything with ``None``); one result per process touched."""
    return [outcome_json(o) for o in await _verbs(action)[1](api, group, arg)]


def outcome_json(outcome: Outcome) -> Result:
    fault = outcome.fault
    return {
        "namespec": make_namespec(outcome.group, outcome.name),
        "name": outcome.name,
        "group": outcome.group,
        "status": int(fault.code) if fault else int(Faults.SUCCESS),
        "statusname": fault.code.name if fault else "SUCCESS",
        "description": fault.text if fault else "OK",
    }


_UPDATE_STEPS = {
    "removed": ("removed", "removed process group"),
    "added": ("added", "added process group"),
    "updated": ("changed", "updated process group"),
    "unchanged": ("changed", "updated process group"),
}


def update_json(report: GroupUpdate) -> Result:
    """One group of ``update``: ``{group, action, ok, message}``, a change also by process."""
    action, message = _UPDATE_STEPS[report.action]
    outcome: Result = {"group": report.group, "action": action}
    if report.fault is not None:
        return {**outcome, "ok": False, "message": report.fault.text}
    outcome.update(ok=True, message=message)
    if action == "changed":
        outcome.update(
            restarted=list(report.restarted),
            added=list(report.added),
            removed=list(report.removed),
        )
    return outcome
