"""Process, group and whole-daemon actions built on EngineAPI calls.

EngineAPI acts on one process at a time; the UI also acts on a group or on
everything. Bulk actions follow supervisord's rules (start only what is not
running, stop only what is, signal only what is signallable, starts in
priority order and stops in reverse) and never raise: each process gets a
result, so one failure does not hide what happened to the others.
"""

from __future__ import annotations

import asyncio
import signal
from collections.abc import Awaitable, Callable
from typing import Any

from minder.engine.api import EngineAPI, ProcessSnapshot
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec, split_namespec
from minder.protocol.states import RUNNING_STATES, SIGNALLABLE_STATES
from minder.rpc.minder_methods import update_group_report

ACTIONS = ("start", "stop", "restart", "signal", "clear")

Result = dict[str, Any]


def parse_signal(value: object) -> int:
    """``HUP``, ``SIGHUP``, ``1`` or 1 -> 1; BAD_SIGNAL otherwise."""
    text = str(value).strip().upper()
    if text.isdigit():
        num = int(text)
        if num in {s.value for s in signal.Signals}:
            return num
    else:
        name = text if text.startswith("SIG") else f"SIG{text}"
        try:
            return int(signal.Signals[name])
        except KeyError:
            pass
    raise SupervisorFault(Faults.BAD_SIGNAL, str(value))


def resolve_process(api: EngineAPI, namespec: str) -> ProcessSnapshot:
    group, name = split_namespec(namespec)
    if name is None:
        raise SupervisorFault(Faults.BAD_NAME, namespec)
    return api.snapshot(group, name)


async def act_on_process(
    api: EngineAPI, snap: ProcessSnapshot, action: str, *, wait: bool = True, signum: int = 0
) -> None:
    """One action on one process; raises SupervisorFault like the engine does."""
    group, name = snap.group, snap.name
    if action == "start":
        await api.start_process(group, name, wait)
    elif action == "stop":
        await api.stop_process(group, name, wait)
    elif action == "restart":
        if api.snapshot(group, name).state in RUNNING_STATES:
            await api.stop_process(group, name, True)
        await api.start_process(group, name, wait)
    elif action == "signal":
        await api.signal_process(group, name, signum)
    elif action == "clear":
        api.clear_process_logs(group, name)
    else:
        raise SupervisorFault(Faults.BAD_ARGUMENTS, f"unknown action {action!r}")


def _eligible(snap: ProcessSnapshot, action: str) -> bool:
    if action == "start":
        return snap.state not in RUNNING_STATES
    if action == "stop":
        return snap.state in RUNNING_STATES
    if action == "signal":
        return snap.state in SIGNALLABLE_STATES
    return True


def _order(snaps: list[ProcessSnapshot], action: str) -> list[ProcessSnapshot]:
    ordered = sorted(snaps, key=lambda s: (s.group_priority, s.spec.priority, s.group, s.name))
    if action == "stop":
        ordered.reverse()
    return ordered


async def act_on_many(
    api: EngineAPI, snaps: list[ProcessSnapshot], action: str, *, wait: bool = True, signum: int = 0
) -> list[Result]:
    """Apply ``action`` to every eligible process concurrently; one result each."""
    if action not in ACTIONS:
        raise SupervisorFault(Faults.BAD_ARGUMENTS, f"unknown action {action!r}")
    if action == "restart":
        return await _restart_many(api, snaps, wait=wait)
    targets = [s for s in _order(snaps, action) if _eligible(s, action)]

    async def one(snap: ProcessSnapshot) -> Result:
        try:
            await act_on_process(api, snap, action, wait=wait, signum=signum)
        except SupervisorFault as fault:
            return _result(snap, int(fault.code), fault.code.name, fault.text)
        return _result(snap, int(Faults.SUCCESS), "SUCCESS", "OK")

    return list(await asyncio.gather(*(one(s) for s in targets)))


async def _restart_many(
    api: EngineAPI, snaps: list[ProcessSnapshot], *, wait: bool
) -> list[Result]:
    """Stop everything first (reverse priority), then start in priority order.

    Restarting process by process would interleave stops and starts and
    break the priority order the config asks for.
    """
    stopped = {r["namespec"]: r for r in await act_on_many(api, snaps, "stop")}
    fresh = [api.snapshot(s.group, s.name) for s in snaps]
    started = {r["namespec"]: r for r in await act_on_many(api, fresh, "start", wait=wait)}
    results = []
    for snap in _order(snaps, "start"):
        namespec = make_namespec(snap.group, snap.name)
        failed_stop = stopped.get(namespec)
        if failed_stop is not None and failed_stop["status"] != int(Faults.SUCCESS):
            results.append(failed_stop)
        elif namespec in started:
            results.append(started[namespec])
    return results


def _result(snap: ProcessSnapshot, status: int, statusname: str, description: str) -> Result:
    return {
        "namespec": make_namespec(snap.group, snap.name),
        "name": snap.name,
        "group": snap.group,
        "status": status,
        "statusname": statusname,
        "description": description,
    }


async def apply_update(api: EngineAPI) -> list[Result]:
    """supervisorctl's ``update``: re-read, then remove, update and add groups.

    A changed group is updated in place (minder's update): only the processes
    whose settings changed are stopped and recreated, the others keep their
    pid. A removed group is stopped and removed unless a stop failed. Returns
    one ``{group, action, ok, message}`` per group; a changed group's entry
    also lists the process names ``restarted``, ``added`` and ``removed``.
    """
    diff = api.reload_config()
    priority = {e.group.name: e.group.priority for e in api.config_entries()}
    outcomes: list[Result] = []
    details: dict[str, Result] = {}  # what an in-place update did, by group

    async def stop_group(group: str) -> bool:
        results = await act_on_many(api, api.group_snapshots(group), "stop")
        return all(r["status"] == int(Faults.SUCCESS) for r in results)

    async def step(group: str, action: str, work: Callable[[], Awaitable[str]]) -> None:
        outcome: Result = {"group": group, "action": action}
        try:
            message = await work()
        except SupervisorFault as fault:
            outcomes.append({**outcome, "ok": False, "message": fault.text})
        else:
            outcomes.append({**outcome, "ok": True, "message": message, **details.pop(group, {})})

    for group in diff.removed:

        async def remove(group: str = group) -> str:
            if not await stop_group(group):
                raise SupervisorFault(Faults.FAILED, f"{group} has problems; not removing")
            await api.remove_group(group)
            return "removed process group"

        await step(group, "removed", remove)
    for group in sorted(diff.changed, key=lambda g: (priority.get(g, 999), g)):

        async def change(group: str = group) -> str:
            report = await update_group_report(api, group)
            details[group] = {
                "restarted": report["restarted"],
                "added": report["added"],
                "removed": report["removed"],
            }
            return "updated process group"

        await step(group, "changed", change)
    for group in diff.added:

        async def add(group: str = group) -> str:
            await api.add_group(group)
            return "added process group"

        await step(group, "added", add)
    return outcomes
