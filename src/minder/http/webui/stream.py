"""``/api/v1/events``: the live Server-Sent Events stream.

Each client gets its own bounded EngineAPI subscription; when a client
reads too slowly the subscription drops the oldest events and the stream
sends a ``resync`` (the full process list), so a slow browser tab costs
bounded memory and still converges on the truth. A ``hello`` with the full
state opens every connection, which makes reconnects self-healing too.

A pump task moves events from the subscription into a small queue, so the
writer can wait on "event or keep-alive due" without cancelling the
subscription's own iterator.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from aiohttp import web

from minder.engine.api import EngineAPI, EventSubscription
from minder.http.webui.serialize import log_chunk_json, process_json, state_event_json
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    MainLogLine,
    ProcessLogChunk,
    ProcessStateChanged,
    SupervisorStateChanged,
)
from minder.protocol.faults import SupervisorFault
from minder.protocol.names import make_namespec

KEEPALIVE_SECONDS = 15.0
SUBSCRIPTION_SIZE = 1000
PUMP_QUEUE_SIZE = 64


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
    }


def processes_json(api: EngineAPI) -> list[dict[str, Any]]:
    return [process_json(s) for s in api.snapshots()]


class EventStreams:
    """Serves the stream and closes every open one when the app shuts down."""

    def __init__(self, api: EngineAPI) -> None:
        self._api = api
        self._open: set[EventSubscription] = set()

    async def close_all(self, _app: web.Application) -> None:
        for sub in list(self._open):
            sub.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        log_filter = _LogFilter(request.query.get("logs", ""), request.query.get("mainlog") == "1")
        sub = self._api.subscribe(logs=log_filter.wants_logs, maxsize=SUBSCRIPTION_SIZE)
        self._open.add(sub)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream; charset=utf-8",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",  # nginx: pass each event through at once
            }
        )
        queue: asyncio.Queue[DomainEvent | None] = asyncio.Queue(PUMP_QUEUE_SIZE)
        pump = asyncio.create_task(_pump(sub, queue))
        try:
            await response.prepare(request)
            await response.write(b"retry: 2000\n\n")
            await _send(response, "hello", self._hello())
            dropped = sub.dropped
            while True:
                try:
                    event = await asyncio.wait_for(queue.get(), KEEPALIVE_SECONDS)
                except TimeoutError:
                    if pump.done() and queue.empty():
                        break  # subscription closed and its end marker did not fit
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                if sub.dropped != dropped:
                    dropped = sub.dropped
                    await _send(response, "resync", {**self._hello(), "dropped": dropped})
                    continue
                for name, payload in self._render(event, log_filter):
                    await _send(response, name, payload)
        except ConnectionResetError:
            pass  # the client went away
        finally:
            sub.close()
            self._open.discard(sub)
            pump.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await pump
        return response

    def _hello(self) -> dict[str, Any]:
        return {"daemon": daemon_json(self._api), "processes": processes_json(self._api)}

    def _render(self, event: DomainEvent, log_filter: _LogFilter) -> list[tuple[str, Any]]:
        if isinstance(event, ProcessStateChanged):
            try:
                current: dict[str, Any] | None = process_json(
                    self._api.snapshot(event.group, event.name)
                )
            except SupervisorFault:  # removed meanwhile
                current = None
            return [("process", {"event": state_event_json(event), "process": current})]
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
            everyone = processes_json(self._api)
            return [("groups", {"action": action, "group": event.group, "processes": everyone})]
        if isinstance(event, SupervisorStateChanged):
            return [("supervisor", daemon_json(self._api))]
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


async def _send(response: web.StreamResponse, name: str, payload: Any) -> None:
    data = json.dumps(payload, separators=(",", ":"))
    await response.write(f"event: {name}\ndata: {data}\n\n".encode())
