"""The JSON API's reads, actions and error shapes, against the fake engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient

from minder.protocol.states import ProcessState
from tests.fakes.engine import FakeEngine
from tests.unit.webui.conftest import mutation_headers, run_scenario

Client = TestClient[web.Request, web.Application]


def engine_with_two_groups() -> FakeEngine:
    engine = FakeEngine()
    engine.add("web", "web", ProcessState.RUNNING)
    engine.add("workers", "workers_00", ProcessState.RUNNING)
    engine.add("workers", "workers_01")
    return engine


async def post(client: Client, path: str, body: Any = None) -> tuple[int, Any]:
    resp = await client.post(path, json=body, headers=mutation_headers())
    return resp.status, await resp.json()


def test_lists_processes_with_namespecs_and_descriptions() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        resp = await client.get("/api/v1/processes")
        assert resp.status == 200
        procs = await resp.json()
        assert [p["namespec"] for p in procs] == ["web", "workers:workers_00", "workers:workers_01"]
        web_proc = procs[0]
        assert web_proc["statename"] == "RUNNING"
        assert web_proc["description"] == f"pid {web_proc['pid']}, uptime 0:01:05"
        assert procs[2]["description"] == "Not started"

    run_scenario(engine_with_two_groups(), scenario)


def test_one_process_and_unknown_names() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        resp = await client.get("/api/v1/processes/workers:workers_01")
        assert (await resp.json())["statename"] == "STOPPED"
        resp = await client.get("/api/v1/processes/nosuch")
        assert resp.status == 404
        assert await resp.json() == {
            "code": 10,
            "name": "BAD_NAME",
            "message": "BAD_NAME: nosuch",
        }

    run_scenario(engine_with_two_groups(), scenario)


def test_groups_summarise_states() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        groups = await (await client.get("/api/v1/groups")).json()
        workers = next(g for g in groups if g["name"] == "workers")
        assert workers["states"] == {"RUNNING": 1, "STOPPED": 1}
        one = await (await client.get("/api/v1/groups/workers")).json()
        assert [m["name"] for m in one["members"]] == ["workers_00", "workers_01"]
        assert (await client.get("/api/v1/groups/nosuch")).status == 404

    run_scenario(engine_with_two_groups(), scenario)


def test_start_stop_restart_one_process() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/processes/workers:workers_01/start")
        assert status == 200 and body["process"]["statename"] == "RUNNING"
        status, body = await post(client, "/api/v1/processes/workers:workers_01/start")
        assert (status, body["name"]) == (409, "ALREADY_STARTED")
        status, body = await post(client, "/api/v1/processes/web/stop", {"wait": True})
        assert status == 200 and body["process"]["statename"] == "STOPPED"
        status, body = await post(client, "/api/v1/processes/web/stop")
        assert (status, body["code"], body["name"]) == (409, 70, "NOT_RUNNING")
        old_pid = engine.processes[("workers", "workers_00")].pid
        status, body = await post(client, "/api/v1/processes/workers:workers_00/restart")
        assert status == 200 and body["process"]["pid"] != old_pid
        assert engine.calls[-2:] == [
            ("stop", "workers", "workers_00", True),
            ("start", "workers", "workers_00", True),
        ]

    run_scenario(engine_with_two_groups(), scenario)


def test_spawn_error_is_reported_with_its_fault() -> None:
    engine = engine_with_two_groups()
    engine.processes[("workers", "workers_01")].fail_start = "can't find command 'nope'"

    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/processes/workers:workers_01/start")
        assert (status, body["code"], body["name"]) == (500, 50, "SPAWN_ERROR")
        info = await (await client.get("/api/v1/processes/workers:workers_01")).json()
        assert info["statename"] == "FATAL"
        assert info["description"] == "can't find command 'nope'"

    run_scenario(engine, scenario)


def test_signal_by_name_and_bad_signal() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, _ = await post(client, "/api/v1/processes/web/signal", {"signal": "HUP"})
        assert status == 200
        status, _ = await post(client, "/api/v1/processes/web/signal", {"signal": "SIGUSR1"})
        assert status == 200
        assert engine.processes[("web", "web")].signals == [1, 10]
        status, body = await post(client, "/api/v1/processes/web/signal", {"signal": "BOGUS"})
        assert (status, body["name"]) == (400, "BAD_SIGNAL")

    run_scenario(engine_with_two_groups(), scenario)


def test_group_and_all_actions_report_each_process() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/groups/workers/start")
        assert status == 200
        assert [(r["namespec"], r["statusname"]) for r in body["results"]] == [
            ("workers:workers_01", "SUCCESS")
        ]
        status, body = await post(client, "/api/v1/all/stop")
        assert sorted(r["namespec"] for r in body["results"]) == [
            "web",
            "workers:workers_00",
            "workers:workers_01",
        ]
        assert all(p.state == ProcessState.STOPPED for p in engine.processes.values())
        engine.processes[("web", "web")].fail_start = "Exited too quickly"
        status, body = await post(client, "/api/v1/all/start")
        by_name = {r["namespec"]: r for r in body["results"]}
        assert by_name["web"]["statusname"] == "SPAWN_ERROR"
        assert by_name["workers:workers_00"]["statusname"] == "SUCCESS"
        status, body = await post(client, "/api/v1/all/explode")
        assert (status, body["name"]) == (404, "NOT_FOUND")

    run_scenario(engine_with_two_groups(), scenario)


def test_clear_logs() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, _ = await post(client, "/api/v1/processes/web/clear")
        assert status == 200
        status, body = await post(client, "/api/v1/groups/workers/clear")
        assert len(body["results"]) == 2
        assert [p.cleared for p in engine.processes.values()] == [1, 1, 1]

    run_scenario(engine_with_two_groups(), scenario)


def test_reread_returns_the_diff_and_update_applies_it() -> None:
    engine = engine_with_two_groups()
    engine.add("old", "old", ProcessState.RUNNING)
    from minder.engine.api import ConfigDiff, GroupUpdate

    plan = GroupUpdate("web", "updated", restarted=("web",))
    engine.pending = ConfigDiff(("fresh",), ("web",), ("old",), (plan,))

    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/config/reread")
        assert body == {
            "added": ["fresh"],
            "changed": ["web"],
            "removed": ["old"],
            "pending": True,
            "plans": {"web": {"restarted": ["web"], "added": [], "removed": []}},
        }
        assert not any(c[0] == "add_group" for c in engine.calls)
        status, body = await post(client, "/api/v1/config/update")
        assert status == 200
        assert [(r["group"], r["action"], r["ok"]) for r in body["results"]] == [
            ("old", "removed", True),
            ("web", "changed", True),
            ("fresh", "added", True),
        ]
        assert ("old", "old") not in engine.processes
        assert engine.processes[("fresh", "fresh")].state == ProcessState.RUNNING
        # a changed group is updated in place, not removed and re-added
        assert ("update_group", "web") in engine.calls
        assert ("remove_group", "web") not in engine.calls
        assert ("add_group", "web") not in engine.calls
        assert set(body["results"][1]) >= {"restarted", "added", "removed"}

    run_scenario(engine, scenario)


def test_reread_of_a_broken_config() -> None:
    engine = engine_with_two_groups()
    engine.config_error = "bad.conf:3: unknown key"

    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/config/reread")
        assert (status, body["code"], body["name"]) == (422, 92, "CANT_REREAD")
        assert "bad.conf:3" in body["message"]

    run_scenario(engine, scenario)


def test_log_slices_by_offset(tmp_path: Path) -> None:
    engine = engine_with_two_groups()
    log = tmp_path / "web.log"
    log.write_bytes(b"line one\nline two\n")
    engine.processes[("web", "web")].stdout_logfile = str(log)

    async def scenario(client: Client, engine: FakeEngine) -> None:
        first = await (await client.get("/api/v1/processes/web/log/stdout")).json()
        assert first["data"] == "line one\nline two\n" and first["offset"] == 18
        with log.open("ab") as f:
            f.write(b"line three\n")
        nxt = await (await client.get("/api/v1/processes/web/log/stdout?offset=18")).json()
        assert (nxt["data"], nxt["start"], nxt["offset"]) == ("line three\n", 18, 29)
        resp = await client.get("/api/v1/processes/web/log/stderr")
        assert (resp.status, (await resp.json())["name"]) == (404, "NO_FILE")
        resp = await client.get("/api/v1/processes/web/log/stdin")
        assert resp.status == 404
        resp = await client.get("/api/v1/processes/web/log/stdout?offset=abc")
        assert resp.status == 400
        resp = await client.get("/api/v1/processes/web/log/stdout/download")
        assert resp.headers["Content-Disposition"] == 'attachment; filename="web-stdout.log"'
        assert await resp.read() == log.read_bytes()

    run_scenario(engine, scenario)


def test_main_log(tmp_path: Path) -> None:
    log = tmp_path / "main.log"
    log.write_text("2026-11-29 10:00:00,000 INFO supervisord started\n")
    engine = FakeEngine(main_log=str(log))

    async def scenario(client: Client, engine: FakeEngine) -> None:
        body = await (await client.get("/api/v1/mainlog?length=1000")).json()
        assert "supervisord started" in body["data"]
        status, _ = await post(client, "/api/v1/mainlog/clear")
        assert status == 200 and log.read_text() == ""

    run_scenario(engine, scenario)


def test_daemon_info_and_openapi() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        info = await (await client.get("/api/v1/daemon")).json()
        assert info["identification"] == "fakesuper"
        assert info["statename"] == "RUNNING" and info["pid"] == 4242
        doc = await (await client.get("/api/v1/openapi.json")).json()
        assert doc["openapi"].startswith("3.")
        assert "post" in doc["paths"]["/processes/{name}/{action}"]

    run_scenario(FakeEngine(), scenario)


def test_bad_json_body() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        resp = await client.post(
            "/api/v1/processes/web/start", data=b"{nope", headers=mutation_headers()
        )
        assert (resp.status, (await resp.json())["name"]) == (400, "BAD_REQUEST")
        resp = await client.post(
            "/api/v1/processes/web/start", data=b"[1]", headers=mutation_headers()
        )
        assert resp.status == 400

    run_scenario(engine_with_two_groups(), scenario)


def test_every_api_route_is_in_the_openapi_document() -> None:
    from minder.http.webui import register
    from minder.http.webui.openapi import openapi_document

    app = web.Application()
    register(app, FakeEngine(), csrf_secret=b"x")
    routes = {
        (r.method.lower(), r.resource.canonical.removeprefix("/api/v1"))
        for r in app.router.routes()
        if r.resource is not None
        and r.resource.canonical.startswith("/api/v1/")
        and r.method != "HEAD"
    }
    documented = {
        (method, path) for path, ops in openapi_document()["paths"].items() for method in ops
    }
    routes.discard(("get", "/openapi.json"))
    assert routes == documented


def test_group_restart_stops_everything_before_starting() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, body = await post(client, "/api/v1/groups/workers/restart")
        assert status == 200
        assert [(r["namespec"], r["statusname"]) for r in body["results"]] == [
            ("workers:workers_00", "SUCCESS"),
            ("workers:workers_01", "SUCCESS"),
        ]
        assert engine.calls == [
            ("stop", "workers", "workers_00", True),
            ("start", "workers", "workers_00", True),
            ("start", "workers", "workers_01", True),
        ]
        assert all(p.state == ProcessState.RUNNING for p in engine.processes.values())

    run_scenario(engine_with_two_groups(), scenario)


def test_send_to_stdin() -> None:
    async def scenario(client: Client, engine: FakeEngine) -> None:
        status, _ = await post(client, "/api/v1/processes/web/stdin", {"data": "héllo\n"})
        assert status == 200
        assert engine.calls[-1] == ("stdin", "web", "web", "héllo\n".encode())
        status, body = await post(client, "/api/v1/processes/web/stdin", {"data": 5})
        assert (status, body["name"]) == (400, "INCORRECT_PARAMETERS")
        status, body = await post(
            client, "/api/v1/processes/workers:workers_01/stdin", {"data": "x"}
        )
        assert (status, body["name"]) == (409, "NOT_RUNNING")
        resp = await client.post("/api/v1/processes/web/stdin", json={"data": "x"})
        assert resp.status == 403

    run_scenario(engine_with_two_groups(), scenario)
