"""supervisord's bookmarked UI paths: served, and never acting on GET."""

from __future__ import annotations

import re
from html import unescape

from aiohttp import web
from aiohttp.test_utils import TestClient

from minder.protocol.states import ProcessState
from tests.fakes.engine import FakeEngine
from tests.unit.webui.conftest import run_scenario, token

Client = TestClient[web.Request, web.Application]


def engine() -> FakeEngine:
    e = FakeEngine()
    e.add("web", "web", ProcessState.RUNNING)
    e.add("g", "w1", ProcessState.RUNNING)
    return e


def test_dashboard_paths_and_ok() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        for path in ("/", "/index.html", "/tail.html?processname=web", "/?message=hi"):
            resp = await client.get(path)
            assert resp.status == 200, path
            page = await resp.text()
            assert "· minder</title>" in page and 'data-namespec="g:w1"' in page
        resp = await client.get("/ok.html")
        assert (resp.status, await resp.text()) == (200, "OK")

    run_scenario(engine(), scenario)


def test_static_files_live_under_a_content_hash() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        page = await (await client.get("/")).text()
        match = re.search(r'src="(static/[0-9a-f]{12})/js/app.js"', page)
        assert match, page[:600]
        prefix = match.group(1)
        resp = await client.get(f"/{prefix}/app.css")
        assert resp.status == 200 and resp.content_type == "text/css"
        assert "immutable" in resp.headers["Cache-Control"]
        resp = await client.get(f"/{prefix}/js/app.js")
        assert resp.status == 200 and resp.content_type == "text/javascript"
        assert resp.charset == "utf-8"
        resp = await client.get("/static/0123456789ab/js/app.js")  # a page from before an upgrade
        assert resp.status == 200 and resp.headers["Cache-Control"] == "no-cache"
        etag = resp.headers["ETag"]
        resp = await client.get("/static/0123456789ab/js/app.js", headers={"If-None-Match": etag})
        assert resp.status == 304
        for bad in (
            "index.html",
            "js/nope.js",
            "..%2F..%2Fwebui%2Fcsrf.py",
            "js/..%2F..%2F..%2Fpy.typed",
        ):
            resp = await client.get(f"/{prefix}/{bad}")
            assert resp.status == 404, bad

    run_scenario(engine(), scenario)


def test_old_action_link_shows_a_confirm_form_with_escaped_name() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.get("/index.html?action=stop&processname=<b>x</b>")
        page = await resp.text()
        assert resp.status == 200
        assert "<b>x</b>" not in page and "&lt;b&gt;x&lt;/b&gt;" in page
        assert 'method="post"' in page
        assert f'name="csrf_token" value="{token()}"' in page
        resp = await client.get("/index.html?action=explode")
        assert resp.status == 400 and "Unknown action" in await resp.text()
        resp = await client.get("/index.html?action=stop")
        assert resp.status == 400 and "No process named" in await resp.text()
        assert e.calls == []

    run_scenario(engine(), scenario)


def test_confirm_form_post_acts_and_redirects_relatively() -> None:
    async def notice_after(client: Client, form: dict[str, str]) -> str:
        resp = await client.post("/index.html", data=form, allow_redirects=False)
        assert resp.status == 303
        location = resp.headers["Location"]
        assert location.startswith("./?notice=")  # an id, never the text itself
        page = await (await client.get("/" + location[2:])).text()
        again = await (await client.get("/" + location[2:])).text()
        assert "minder-notice" not in again  # shown once
        start = page.index('<meta name="minder-notice" content="') + 36
        return unescape(page[start : page.index('">', start)])

    async def scenario(client: Client, e: FakeEngine) -> None:
        form = {"action": "stop", "processname": "web", "csrf_token": token()}
        assert await notice_after(client, form) == "Process web stopped"
        assert e.processes[("web", "web")].state == ProcessState.STOPPED
        form = {"action": "start", "processname": "nosuch", "csrf_token": token()}
        assert (await notice_after(client, form)).startswith("ERROR: BAD_NAME")
        form = {"action": "stopall", "csrf_token": token()}
        assert await notice_after(client, form) == "All stopped"
        assert all(p.state == ProcessState.STOPPED for p in e.processes.values())
        # a crafted link shows nothing: the text is not taken from the URL
        forged = await (await client.get("/?message=ERROR:%20disk%20wiped&notice=x")).text()
        assert "disk wiped" not in forged and "minder-notice" not in forged

    run_scenario(engine(), scenario)


def test_confirm_form_post_without_token_or_from_elsewhere_is_refused() -> None:
    async def scenario(client: Client, e: FakeEngine) -> None:
        resp = await client.post("/index.html", data={"action": "stop", "processname": "web"})
        assert resp.status == 403
        form = {"action": "stop", "processname": "web", "csrf_token": token()}
        resp = await client.post(
            "/index.html", data=form, headers={"Origin": "http://evil.example"}
        )
        assert resp.status == 403
        assert e.processes[("web", "web")].state == ProcessState.RUNNING

    run_scenario(engine(), scenario)
