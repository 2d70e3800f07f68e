"""ProcessVitals structs: one shape for minder.*, the JSON API and minderctl.

Kept apart from structs.py (supervisord's shapes) because nothing here is
in supervisord; built from a snapshot plus a fresh CPU/RSS reading, which
only these callers pay for (getAllProcessInfo never samples).
"""

from __future__ import annotations

from minder.engine.api import EngineAPI, ProcessSnapshot
from minder.protocol.results import ProcessVitals


def vitals_info(api: EngineAPI, snap: ProcessSnapshot) -> ProcessVitals:
    v = snap.vitals
    usage = api.process_load(snap.pid) if snap.pid else None
    return {
        "group": snap.group,
        "name": snap.name,
        "statename": snap.state.name,
        "ready": v.ready if v is not None else False,
        "ready_check": v.ready_check if v is not None else "",
        "health_check": v.health_check if v is not None else "",
        "status": v.status if v is not None else "",
        "health_failures": v.health_failures if v is not None else 0,
        "last_answer": v.last_answer if v is not None else "",
        "restarts": v.restarts if v is not None else 0,
        "health_restarts": v.health_restarts if v is not None else 0,
        "memory_restarts": v.memory_restarts if v is not None else 0,
        "last_exit": v.last_exit if v is not None else "",
        "waiting": v.waiting if v is not None else "",
        "essential": v.essential if v is not None else False,
        "cpu_percent": round(usage[0], 1) if usage is not None else 0.0,
        "rss": usage[1] if usage is not None else 0,
    }
