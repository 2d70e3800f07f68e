"""Engine snapshots rendered as the JSON the API and the live stream send.

One function per shape so the REST handlers, the SSE stream and the
OpenAPI document agree on field names. Times stay epoch floats; the
browser computes uptime itself (with the server's ``now`` to correct its
clock), so a table that is open for hours keeps counting without polling.
"""

from __future__ import annotations

from typing import Any

from minder.engine.api import ConfigDiff, EngineAPI, LogSlice, ProcessSnapshot
from minder.model.events import ProcessLogChunk, ProcessStateChanged
from minder.protocol.names import make_namespec
from minder.rpc.structs import describe  # one description for supervisorctl and the UI

JSON = dict[str, Any]


def vitals_json(snap: ProcessSnapshot) -> JSON:
    """minder's readiness, health and restart facts (no CPU/RSS: see with_usage)."""
    v = snap.vitals
    if v is None:
        return {}
    return {
        "ready": v.ready,
        "ready_check": v.ready_check,
        "health_check": v.health_check,
        "status": v.status,
        "health_failures": v.health_failures,
        "last_answer": v.last_answer,
        "restarts": v.restarts,
        "health_restarts": v.health_restarts,
        "memory_restarts": v.memory_restarts,
        "last_exit": v.last_exit,
        "waiting": v.waiting,
        "essential": v.essential,
    }


def with_usage(api: EngineAPI, entry: JSON) -> JSON:
    """Add CPU % and RSS (sampled now) to a process_json entry."""
    usage = api.process_load(int(entry["pid"])) if entry["pid"] else None
    entry["cpu_percent"] = round(usage[0], 1) if usage is not None else None
    entry["rss"] = usage[1] if usage is not None else None
    return entry


def process_json(snap: ProcessSnapshot) -> JSON:
    return {
        "namespec": make_namespec(snap.group, snap.name),
        "name": snap.name,
        "group": snap.group,
        "state": int(snap.state),
        "statename": snap.state.name,
        "pid": snap.pid,
        "start": snap.start,
        "stop": snap.stop,
        "now": snap.now,
        "exitstatus": snap.exitstatus,
        "spawnerr": snap.spawnerr,
        "description": describe(snap),
        "next_start": snap.next_start,  # epoch of a scheduled restart, 0 if none
        "stdout_logfile": snap.stdout_logfile,
        "stderr_logfile": snap.stderr_logfile,
        "has_stderr": bool(snap.stderr_logfile),
        "priority": snap.spec.priority,
        "group_priority": snap.group_priority,
        "autostart": snap.spec.autostart,
        "command": snap.spec.command,
        **vitals_json(snap),
    }


def groups_json(snaps: list[ProcessSnapshot]) -> list[JSON]:
    """Groups with their members and a count per state name."""
    groups: dict[str, JSON] = {}
    for snap in snaps:
        entry = groups.setdefault(
            snap.group,
            {"name": snap.group, "priority": snap.group_priority, "processes": [], "states": {}},
        )
        entry["processes"].append(make_namespec(snap.group, snap.name))
        states: dict[str, int] = entry["states"]
        states[snap.state.name] = states.get(snap.state.name, 0) + 1
    return sorted(groups.values(), key=lambda g: str(g["name"]))


def diff_json(diff: ConfigDiff) -> JSON:
    return {
        "added": list(diff.added),
        "changed": list(diff.changed),
        "removed": list(diff.removed),
        "pending": bool(diff.added or diff.changed or diff.removed),
        # what update will do to each changed group (the others keep running)
        "plans": {
            plan.group: {
                "restarted": list(plan.restarted),
                "added": list(plan.added),
                "removed": list(plan.removed),
            }
            for plan in diff.plans
        },
    }


def state_event_json(event: ProcessStateChanged) -> JSON:
    return {
        "namespec": make_namespec(event.group, event.name),
        "group": event.group,
        "name": event.name,
        "from_state": event.from_state.name,
        "to_state": event.to_state.name,
        "pid": event.pid,
        "expected": event.expected,
        "when": event.when,
    }


def log_chunk_json(event: ProcessLogChunk) -> JSON:
    return {
        "namespec": make_namespec(event.group, event.name),
        "channel": event.channel,
        "pid": event.pid,
        "data": event.data.decode("utf-8", "replace"),
    }


def daemon_json(api: EngineAPI) -> dict[str, Any]:
    from minder import SUPERVISOR_COMPAT_VERSION, __version__

    state = api.supervisor_state()
    return {
        "identification": api.identification(),
        "state": int(state),
        "statename": state.name,
        "pid": api.pid(),
        "version": __version__,
        "supervisor_version": SUPERVISOR_COMPAT_VERSION,
        "config_file": api.root_spec().config_file,
        "has_main_log": bool(api.main_log_path()),
        "containment": api.containment_info(),  # issue 14: cgroup, subreaper or off
    }


def processes_json(api: EngineAPI) -> list[dict[str, Any]]:
    return [process_json(s) for s in api.snapshots()]


def slice_json(piece: LogSlice) -> dict[str, Any]:
    """A log viewer read (EngineAPI.read_log_slice) as the JSON API answers it."""
    return {
        "data": piece.data.decode("utf-8", "replace"),
        "start": piece.start,
        "offset": piece.offset,
        "size": piece.size,
        "reset": piece.reset,
        "more": piece.more,
    }
