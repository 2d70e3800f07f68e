"""The Server-Sent Events stream: hello, live state changes, log filter, resync."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from aiohttp import ClientResponse, web
from aiohttp.test_utils import TestClient

from minder.engine.api import ConfigDiff
from minder.model.events import MainLogLine, ProcessLogChunk
from minder.protocol.states import ProcessState
from tests.fakes.engine import FakeEngine
from tests.unit.webui.conftest import mutation_headers, run_scenario

Client = TestClient[web.Request, web.Application]


async def next_event(resp: ClientResponse) -> tuple[str, Any]:
    """Read one SSE event (skipping comments and the retry hint)."""
    name, data = "", ""
    while True:
        line = (await asyncio.wait_for(resp.content.readline(), 10)).decode()
        if line == "":
            raise AssertionError("stream ended")
        line = line.rstrip("\n")
        if line.startswith("event: "):
            name = line[7:]
        elif line.startswith("data: "):
            data = line[6:]
        elif line == "" and name:
            return name, json.loads(data)


def engine() -> FakeEngine:
    e = FakeEngine()
    e.add("web", "web", ProcessState.RUNNING)
    e.add("g", "a", ProcessState.RUNNING)
    return e


def test_hello_then_state_changes_as_they_happen() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events")
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        assert resp.headers["X-Accel-Buffering"] == "no"
        name, hello = await next_event(resp)
        assert name == "hello"
        assert hello["daemon"]["identification"] == "fakesuper"
        assert [p["namespec"] for p in hello["processes"]] == ["g:a", "web"]
        await client.post("/api/v1/processes/web/stop", headers=mutation_headers())
        name, change = await next_event(resp)
        assert name == "process"
        assert change["event"]["from_state"] == "RUNNING"
        assert change["event"]["to_state"] == "STOPPED"
        assert change["process"]["statename"] == "STOPPED"
        resp.close()

    run_scenario(engine(), scenario)


def test_log_chunks_only_for_the_processes_asked_for() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events?logs=g:a&mainlog=1")
        await next_event(resp)
        assert e.subs[0].logs
        e.publish(ProcessLogChunk("web", "web", "stdout", 1, b"not for you\n"))
        e.publish(ProcessLogChunk("g", "a", "stderr", 2, b"<script>x</script>\n"))
        e.publish(MainLogLine(b"INFO spawned\n"))
        name, chunk = await next_event(resp)
        assert (name, chunk["namespec"], chunk["channel"]) == ("log", "g:a", "stderr")
        assert chunk["data"] == "<script>x</script>\n"  # JSON text; the page never parses it
        name, line = await next_event(resp)
        assert (name, line["data"]) == ("mainlog", "INFO spawned\n")
        resp.close()

    run_scenario(engine(), scenario)


def test_no_log_subscription_without_a_log_filter() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events")
        await next_event(resp)
        assert not e.subs[0].logs
        resp.close()

    run_scenario(engine(), scenario)


def test_dropped_events_cause_a_full_resync() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events")
        await next_event(resp)
        e.subs[0].dropped += 5
        await client.post("/api/v1/processes/web/stop", headers=mutation_headers())
        name, body = await next_event(resp)
        assert name == "resync" and body["dropped"] == 5
        assert {p["namespec"]: p["statename"] for p in body["processes"]}["web"] == "STOPPED"
        resp.close()

    run_scenario(engine(), scenario)


def test_group_changes_send_the_new_process_list() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events")
        await next_event(resp)
        e.pending = ConfigDiff(added=("fresh",), changed=(), removed=())  # in the config now
        await e.add_group("fresh")
        name, body = await next_event(resp)
        while name == "process":
            name, body = await next_event(resp)
        assert (name, body["action"], body["group"]) == ("groups", "added", "fresh")
        assert "fresh" in [p["namespec"] for p in body["processes"]]
        resp.close()

    run_scenario(engine(), scenario)


def test_shutdown_ends_every_open_stream() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/api/v1/events")
        await next_event(resp)
        assert len(e.subs) == 1
        await client.app.shutdown()  # what the daemon's runner does on exit
        assert await asyncio.wait_for(resp.content.read(), 10) == b""
        assert e.subs == []

    run_scenario(engine(), scenario)
