"""Cross-site request forgery, attempted by a real page on another origin.

A page served from a different origin (another port: "same-site" but not
same-origin) makes the victim's browser send every kind of forged request
to minderd: cross-origin form POSTs (JSON-ish text/plain, urlencoded with a
guessed token), a no-cors fetch, and an <img> GET of each of supervisord's
old action URLs. minderd must receive them (we watch the responses) and
change nothing.
"""

from __future__ import annotations

import http.server
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_webui_support import (
    browser,
    minderd_with_ui,
    needs_chromium,
    screenshot,
    supervisor_call,
)
from tests.support.daemons import RunningDaemon, wait_for

pytestmark = [pytest.mark.browser, needs_chromium]
__all__ = ["browser"]

LEGACY_GETS = [
    "index.html?action=stop&processname=victim",
    "index.html?action=restart&processname=victim",
    "index.html?action=clearlog&processname=victim",
    "index.html?action=start&processname=bystander",
    "index.html?action=stopall",
    "index.html?action=restartall",
    "?action=stop&processname=victim",
    "?action=stopall",
    "api/v1/processes/victim/stop",
    "api/v1/all/stop",
]
FORM_POSTS = [
    ("api/v1/processes/victim/stop", "text/plain", {'{"wait": true, "x": "': '"}'}),
    ("api/v1/all/stop", "text/plain", {"a": "b"}),
    ("api/v1/config/update", "application/x-www-form-urlencoded", {"a": "b"}),
    ("api/v1/processes/victim/clear", "multipart/form-data", {"a": "b"}),
    (
        "index.html",
        "application/x-www-form-urlencoded",
        {"action": "stopall", "csrf_token": "0" * 64},
    ),
    (
        "index.html?action=stop&processname=victim",
        "application/x-www-form-urlencoded",
        {"action": "stop", "processname": "victim"},
    ),
]


def attacker_page(target: str) -> str:
    parts = ["<!doctype html><html><head><title>attack</title></head><body>"]
    for i, (path, enctype, fields) in enumerate(FORM_POSTS):
        inputs = "".join(
            f"<input type=hidden name='{name}' value='{value}'>" for name, value in fields.items()
        )
        parts.append(
            f"<iframe name=sink{i} class=sink></iframe>"
            f"<form class=forged method=post enctype='{enctype}' target=sink{i}"
            f" action='{target}{path}'>{inputs}</form>"
        )
    for path in LEGACY_GETS:
        parts.append(f"<img class=probe src='{target}{path}'>")
    parts.append(
        f"""<script>
        const waits = [];
        for (const img of document.querySelectorAll('img.probe')) {{
          waits.push(new Promise(r => {{ img.onload = r; img.onerror = r;
            if (img.complete) r(); }}));
        }}
        for (const frame of document.querySelectorAll('iframe.sink')) {{
          waits.push(new Promise(r => {{ frame.onload = r; }}));
        }}
        waits.push(fetch('{target}api/v1/groups/victim/stop', {{method: 'POST',
          mode: 'no-cors', credentials: 'include', body: '{{}}',
          headers: {{'Content-Type': 'text/plain'}}}}).catch(() => null));
        for (const form of document.querySelectorAll('form.forged')) form.submit();
        Promise.all(waits).then(() => {{ document.title = 'done'; }});
        </script></body></html>"""
    )
    return "".join(parts)


@pytest.fixture()
def attacker(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A plain static web server on another port: the attacker's site."""
    site = tmp_path / "site"
    site.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, directory=str(site), **kwargs)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield site, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


def pids(daemon: RunningDaemon) -> dict[str, int]:
    return {p["name"]: p["pid"] for p in supervisor_call(daemon, "getAllProcessInfo")}


def test_forged_requests_from_another_origin_change_nothing(
    browser: Any, tmp_path: Path, attacker: tuple[Path, str]
) -> None:
    site, attacker_url = attacker
    programs = """
        [program:victim]
        command=sh -c 'echo victim-was-here; exec sleep 1000'

        [program:bystander]
        command=sleep 1000
        autostart=false
    """
    workdir = tmp_path / "daemon"
    workdir.mkdir()
    with minderd_with_ui(workdir, programs) as (d, url):
        wait_for(lambda: pids(d)["victim"], timeout=30, what="victim running")
        log = Path(supervisor_call(d, "getProcessInfo", "victim")["stdout_logfile"])
        wait_for(lambda: "victim-was-here" in log.read_text(), what="victim output logged")
        before = pids(d)
        (site / "attack.html").write_text(attacker_page(url))

        context = browser.new_context()
        page = context.new_page()
        statuses: dict[str, int] = {}
        sent: set[str] = set()
        page.on("request", lambda r: sent.add(f"{r.method} {r.url}"))
        page.on(
            "response",
            lambda r: (
                statuses.__setitem__(f"{r.request.method} {r.url}", r.status)
                if r.url.startswith(url)
                else None
            ),
        )
        try:
            page.goto(attacker_url + "attack.html")
            expect(page).to_have_title("done", timeout=30_000)
            screenshot(page, "webui-csrf-attacker")
        finally:
            context.close()

        refused_posts = [k for k, v in statuses.items() if k.startswith("POST") and v == 403]
        assert len(refused_posts) >= len(FORM_POSTS), statuses
        for path in LEGACY_GETS:
            # Chromium blocks the HTML answers to <img> (ORB), but the requests went out
            assert f"GET {url}{path}" in sent, (path, sent)
        for path in LEGACY_GETS:  # and straight from a client, answers checked
            try:
                with urllib.request.urlopen(url + path) as resp:
                    status = resp.status
            except urllib.error.HTTPError as err:
                status = err.code
                err.close()
            assert status in (200, 400, 405), path
        assert pids(d) == before
        assert supervisor_call(d, "getProcessInfo", "bystander")["statename"] == "STOPPED"
        assert "victim-was-here" in log.read_text()
