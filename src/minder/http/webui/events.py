"""The live event stream's content, whatever serves it (aiohttp or the fast path).

Each client gets its own bounded EngineAPI subscription; when a client
reads too slowly the subscription drops the oldest events and the stream
sends a ``resync`` (the full process list), so a slow browser tab costs
bounded memory and still converges on the truth. A ``hello`` with the full
state opens every connection, which makes reconnects self-healing too.

A pump task moves events from the subscription into a small queue, so the
writer can wait on "event or keep-alive due" without cancelling the
subscription's own iterator.

No aiohttp here: ``serve_events`` writes through the ``write`` it is given
(stream.py adapts aiohttp's response, lightweb.py the fast path's
connection), so both serve one stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from minder.engine.api import EngineAPI, EventSubscription
from minder.http.webui.serialize import (
    daemon_json,
    log_chunk_json,
    process_json,
    processes_json,
    state_event_json,
)
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    MainLogLine,
    ProcessLogChunk,
    ProcessReadinessChanged,
    ProcessStateChanged,
    RolloutProgress,
    SupervisorStateChanged,
)
from minder.protocol.faults import SupervisorFault
from minder.protocol.names import make_namespec

KEEPALIVE_SECONDS = 15.0
SUBSCRIPTION_SIZE = 1000
PUMP_QUEUE_SIZE = 64
CONTENT_TYPE = "text/event-stream; charset=utf-8"
HEADERS = {
    "Cache-Control": "no-store",
    "X-Accel-Buffering": "no",  # nginx: pass each event through at once
}
Write = Callable[[bytes], Awaitable[None]]


async def serve_events(
    api: EngineAPI, query: Mapping[str, str], write: Write, opened: set[EventSubscription]
) -> None:
    """Stream events through ``write`` until the subscription closes or the client goes.

    The subscription is made before the first write, so nothing that
    happens while the hello is sent is missed; it is in ``opened`` while
    the stream runs (so a shutdown can close it).
    """
    log_filter = _LogFilter(query.get("logs", ""), query.get("mainlog") == "1")
    sub = api.subscribe(logs=log_filter.wants_logs, maxsize=SUBSCRIPTION_SIZE)
    opened.add(sub)
    queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue(PUMP_QUEUE_SIZE)
    pump = asyncio.create_task(_pump(sub, queue))
    try:
        await write(b"retry: 2000\n\n")
        await _send(write, "hello", _hello(api))
        dropped = sub.dropped
        while True:
            try:
                event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
            except TimeoutError:
                if pump.done() and queue.empty():
                    break  # subscription closed and its end marker did not fit
                await write(b": keep-alive\n\n")
                continue
            if event is None:
                break
            if sub.dropped != dropped:
                dropped = sub.dropped
                await _send(write, "resync", {**_hello(api), "dropped": dropped})
                continue
            for name, payload in _render(api, event, log_filter):
                await _send(write, name, payload)
    except ConnectionResetError:
        pass  # the client went away
    finally:
        sub.close()
        opened.discard(sub)
        pump.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await pump


def _hello(api: EngineAPI) -> dict[str, Any]:
    return {"daemon": daemon_json(api), "processes": processes_json(api)}


def _render_minder(
    api: EngineAPI, event: ProcessReadinessChanged | RolloutProgress
) -> list[tuple[str, Any]]:
    """minder's readiness changes (the row's Ready cell) and rolling-restart progress."""
    if isinstance(event, RolloutProgress):
        return [("rollout", {"rollout": event.rollout, "namespec": event.namespec,
                             "phase": event.phase, "done": event.done,
                             "total": event.total, "detail": event.detail})]
    try:
        snap = process_json(api.snapshot(event.group, event.name))
    except SupervisorFault:
        return []
    if not snap.get("ready_check"):
        return []  # ready = RUNNING: the state change event already said it
    readiness = {"namespec": snap["namespec"], "ready": event.ready,
                 "reason": event.reason, "when": event.when}
    return [("process", {"readiness": readiness, "process": snap})]


def _render(api: EngineAPI, event: DomainEvent, log_filter: _LogFilter) -> list[tuple[str, Any]]:
    if isinstance(event, ProcessStateChanged):
        try:
            current: dict[str, Any] | None = process_json(
                api.snapshot(event.group, event.name)
            )
        except SupervisorFault:  # removed meanwhile
            current = None
        return [("process", {"event": state_event_json(event), "process": current})]
    if isinstance(event, (ProcessReadinessChanged, RolloutProgress)):
        return _render_minder(api, event)
    if isinstance(event, ProcessLogChunk):
        if log_filter.wants(make_namespec(event.group, event.name)):
            return [("log", log_chunk_json(event))]
        return []
    if isinstance(event, MainLogLine):
        if log_filter.mainlog:
            return [("mainlog", {"data": event.data.decode("utf-8", "replace")})]
        return []
    if isinstance(event, (GroupAdded, GroupRemoved)):
        action = "added" if isinstance(event, GroupAdded) else "removed"
        everyone = processes_json(api)
        return [("groups", {"action": action, "group": event.group, "processes": everyone})]
    if isinstance(event, SupervisorStateChanged):
        return [("supervisor", daemon_json(api))]
    return []


class _LogFilter:
    """``?logs=all`` or ``?logs=a,g:b`` picks whose output the client gets."""

    def __init__(self, spec: str, mainlog: bool) -> None:
        names = {n.strip() for n in spec.split(",") if n.strip()}
        self.all = "all" in names
        self.names = names - {"all"}
        self.mainlog = mainlog
        self.wants_logs = self.all or bool(self.names) or mainlog

    def wants(self, namespec: str) -> bool:
        return self.all or namespec in self.names


async def _pump(sub: EventSubscription, queue: asyncio.Queue[DomainEvent | None]) -> None:
    try:
        async for event in sub:
            await queue.put(event)
    finally:
        with contextlib.suppress(asyncio.QueueFull):
            queue.put_nowait(None)


async def _send(write: Write, name: str, payload: Any) -> None:
    data = json.dumps(payload, separators=(",", ":"))
    await write(f"event: {name}\ndata: {data}\n\n".encode())
