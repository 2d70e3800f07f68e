"""The web UI's first paint comes from the server, as supervisord's pages do.

``/`` carries the process table and ``/tail.html?processname=x`` the log's
tail in the HTML itself: read with a plain HTTP client (what curl or a
scraper of supervisord's pages sees), then in Chromium with JavaScript
disabled (reading works, actions go through the CSRF-carrying POST forms),
then with JavaScript on, where the script takes the table over and keeps it
live. Process names and output are hostile: every one must come back as
text, never as markup.

The README's screenshot is taken here too: every run writes it to
test-artifacts/webui.png; ``MINDER_UPDATE_SCREENSHOT=1`` also writes
docs/images/webui.png, the copy the README shows.
"""

from __future__ import annotations

import html
import http.client
import os
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from playwright.sync_api import expect

from tests.e2e.test_webui_support import (
    browser,
    minderd_with_ui,
    needs_chromium,
    open_page,
    row,
    screenshot,
    state_of,
    supervisor_call,
    wait_row_state,
    write_script,
)
from tests.support.daemons import RunningDaemon, wait_for

__all__ = ["browser"]  # the fixture, imported so pytest finds it here

# Program names may not hold spaces, ':' or '/' (as in supervisord); all else goes.
HOSTILE_NAME = "x<img_src=x_onerror=alert(1)>&amp;\"'"
MARKUP = "<script>document.title='pwned'</script><b>bold</b> & <i>"
LOUD = f"""\
import sys, time
print("\\x1b[31mred\\x1b[0m", {MARKUP!r}, flush=True)
print("line two", flush=True)
time.sleep(1000)
"""
PROGRAMS = """
[program:loud]
command={python} -u {workdir}/loud.py

[program:{hostile}]
command=sleep 1000

[program:missing]
command=/nonexistent/<b>bin</b>
startretries=0

[program:idle]
command=sleep 1000
autostart=false

[program:target]
command=sleep 1000

[program:web]
command=sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d
"""
SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "images" / "webui.png"


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningDaemon, str]]:
    workdir = tmp_path_factory.mktemp("prerender")
    write_script(workdir, "loud.py", LOUD)
    body = PROGRAMS.format(python=sys.executable, workdir=workdir, hostile=HOSTILE_NAME)
    with minderd_with_ui(workdir, body) as (d, url):

        def settled() -> bool:
            states = {p["name"]: p["statename"] for p in supervisor_call(d, "getAllProcessInfo")}
            want = {"loud", HOSTILE_NAME, "target", "web_0", "web_1"}
            return states.get("missing") == "FATAL" and all(
                states.get(n) == "RUNNING" for n in want
            )

        wait_for(settled, timeout=30, what="every program settled")
        log = d.workdir / "loud.log"
        wait_for(lambda: "line two" in read_log(d, "loud"), timeout=15, what=f"output in {log}")
        yield d, url


def read_log(d: RunningDaemon, name: str) -> str:
    return str(supervisor_call(d, "tailProcessStdoutLog", name, 0, 4096)[0])


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url) as resp:
            return resp.status, resp.read().decode("utf-8")
    except urllib.error.HTTPError as err:
        return err.code, err.read().decode("utf-8")


def tbody(page_html: str) -> str:
    match = re.search(r'<tbody id="rows"[^>]*>(.*?)</tbody>', page_html, re.S)
    assert match, page_html[:2000]
    return match.group(1)


# --- a plain HTTP client ----------------------------------------------------


def test_the_status_page_carries_the_table(daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    status, page = get(url)
    assert status == 200
    rows = tbody(page)
    for info in supervisor_call(d, "getAllProcessInfo"):
        group, name = info["group"], info["name"]
        namespec = name if group == name else f"{group}:{name}"
        found = re.search(
            rf'<tr class="proc[^"]*" data-namespec="{re.escape(html.escape(namespec))}"'
            rf'[^>]*data-state="{info["statename"]}"',
            rows,
        )
        assert found, f"no {info['statename']} row for {namespec!r}"
        if info["statename"] == "RUNNING":
            assert f'<td class="col-pid num">{info["pid"]}</td>' in rows
    assert html.escape(HOSTILE_NAME) in rows
    assert "<img" not in page and "&lt;img_src=x_onerror=alert(1)&gt;&amp;amp;&quot;&#x27;" in rows
    # the FATAL program's description names the command, escaped
    assert "<b>bin</b>" not in page and "&lt;b&gt;bin&lt;/b&gt;" in rows
    assert '<tr class="group-row" data-group="web">' in rows
    assert "__MINDER_" not in page
    ident = html.escape(supervisor_call(d, "getIdentification"))
    assert f'id="ident" class="ident" title="identifier">{ident}<' in page
    assert re.search(r"minder \S+ \(supervisor 4\.3\.0 compatible\) · pid \d+", page)


def test_the_status_page_offers_post_forms_only(daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    _, page = get(url)
    token = re.search(r'<meta name="csrf-token" content="([0-9a-f]{64})">', page)
    assert token
    forms = re.findall(r"<form [^>]*>.*?</form>", tbody(page), re.S)
    assert forms, "no action forms in the table"
    for form in forms:
        assert 'method="post"' in form
        assert f'name="csrf_token" value="{token.group(1)}"' in form
    bulk = re.search(r'<div class="toolbar no-script-bulk">(.*?)</div>', page, re.S)
    assert bulk, "no Restart all / Stop all forms for browsers without JavaScript"
    for action in ("restartall", "stopall"):
        assert f'name="action" value="{action}"' in bulk.group(1)
    assert bulk.group(1).count(f'name="csrf_token" value="{token.group(1)}"') == 2
    # actions are never links: the only links in the table open a log
    for href in re.findall(r'href="([^"]*)"', tbody(page)):
        assert href.startswith("tail.html?processname="), href


def test_the_tail_page_carries_the_log(daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    status, page = get(url + "tail.html?processname=loud")
    assert status == 200
    body = re.search(r'<pre id="log-body"[^>]*>(.*?)</pre>', page, re.S)
    assert body
    text = body.group(1)
    assert "line two" in text
    assert html.escape(MARKUP) in text and "<script>document" not in page
    assert "\x1b" not in text and "red" in text  # ANSI colours stripped, as the viewer does
    assert re.search(r'<section id="logview" class="panel" aria-label="Log viewer" >', page)
    assert '<h2 id="log-title">loud</h2>' in page
    assert 'href="api/v1/processes/loud/log/stdout/download"' in page
    # supervisord's limit (at least 1024 bytes) is honoured
    status, page = get(url + "tail.html?processname=loud&limit=10")
    assert status == 200 and "line two" in page


def test_the_tail_page_of_an_unknown_or_hostile_name(daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    status, page = get(url + "tail.html?processname=" + quote("<svg/onload=alert(1)>"))
    assert status == 404
    assert "<svg/onload" not in page and "No such process: &lt;svg/onload=alert(1)&gt;" in page
    status, page = get(url + "tail.html?processname=" + quote(HOSTILE_NAME, safe=""))
    assert status == 200 and f'<h2 id="log-title">{html.escape(HOSTILE_NAME)}</h2>' in page


def test_a_message_in_the_url_is_not_shown(daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    status, page = get(url + "?message=" + quote("ERROR: <b>boom</b>"))
    assert status == 200
    assert '<div id="banner" class="banner" role="alert" hidden></div>' in page
    assert "boom" not in page


def test_get_never_acts(daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    for path in ("/?action=stop&processname=target", "/tail.html?processname=target&action=stop"):
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        assert resp.status == 200
    conn.close()
    assert state_of(d, "target") == "RUNNING"


# --- Chromium without JavaScript ----------------------------------------------


@needs_chromium
@pytest.mark.browser
def test_reading_and_acting_without_javascript(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    d, url = daemon
    with open_page(browser, url, java_script_enabled=False) as page:
        wait_row_state(page, "target", "RUNNING", live=False)
        hostile = row(page, HOSTILE_NAME, live=False)
        expect(hostile.locator(".name")).to_have_text(HOSTILE_NAME)
        assert page.locator("#rows img, #rows script").count() == 0
        expect(row(page, "missing", live=False).locator(".col-desc")).to_contain_text("<b>bin</b>")
        expect(page.locator("#filter")).to_be_hidden()  # script-only controls stay out of the way
        expect(page.locator("#btn-changes")).to_be_hidden()
        expect(page.get_by_role("button", name="Stop all")).to_be_visible()
        screenshot(page, "webui-no-javascript")
        # the POST form acts (CSRF token and same-origin headers from a real browser)
        row(page, "target", live=False).get_by_role("button", name="Stop target").click()
        page.wait_for_url(re.compile(r"\?notice="))
        expect(page.locator("#banner")).to_contain_text("Process target stopped")
        wait_row_state(page, "target", "STOPPED", live=False)
        assert state_of(d, "target") == "STOPPED"
        row(page, "target", live=False).get_by_role("button", name="Start target").click()
        page.wait_for_url(re.compile(r"\?notice="))
        wait_row_state(page, "target", "RUNNING", live=False)
        assert state_of(d, "target") == "RUNNING"
        # the name links to supervisord's tail page, which shows the log
        row(page, "loud", live=False).locator(".name").click()
        page.wait_for_url(re.compile(r"tail\.html\?processname=loud"))
        expect(page.locator("#logview")).to_be_visible()
        expect(page.locator("#log-body")).to_contain_text("line two")
        expect(page.locator("#log-body")).to_contain_text(MARKUP)
        assert page.title() != "pwned"
        screenshot(page, "webui-tail-no-javascript")


# --- Chromium with JavaScript: the script takes over ------------------------


@needs_chromium
@pytest.mark.browser
def test_the_script_takes_over_and_stays_live(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    d, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "target", "RUNNING")  # the live table replaced the server's
        page.wait_for_selector("#conn.live")
        expect(page.locator("#filter")).to_be_visible()
        assert page.locator(".no-script-bulk").count() == 0  # <noscript> stays out
        everyone = len(supervisor_call(d, "getAllProcessInfo"))
        assert page.locator("#rows tr.proc").count() == everyone  # no server row left over
        expect(row(page, HOSTILE_NAME).locator(".name")).to_have_text(HOSTILE_NAME)
        supervisor_call(d, "stopProcess", "target")
        wait_row_state(page, "target", "STOPPED")
        supervisor_call(d, "startProcess", "target")
        wait_row_state(page, "target", "RUNNING")
    with open_page(browser, url + "tail.html?processname=loud") as page:
        page.wait_for_url(re.compile(r"#log=loud"))
        expect(page.locator("#log-status")).to_contain_text("following live")
        expect(page.locator("#log-body")).to_contain_text("line two")


DEMO = """
[program:api]
command=sleep 1000
numprocs=3
process_name=%(program_name)s_%(process_num)d

[program:worker]
command=sleep 1000

[program:scheduler]
command=sleep 1000

[program:mailer]
command=/usr/local/bin/mailer --queue outgoing
startretries=0

[program:backup]
command=sleep 1000
autostart=false
"""


@needs_chromium
@pytest.mark.browser
def test_readme_screenshot(browser: Any, tmp_path: Path) -> None:
    """The dashboard as a new user first sees it, for the README."""
    viewport = {"width": 1360, "height": 560}
    with (
        minderd_with_ui(tmp_path, DEMO) as (_, url),
        open_page(browser, url, viewport=viewport) as page,
    ):
        for namespec in ("api:api_0", "api:api_1", "api:api_2", "worker", "scheduler"):
            wait_row_state(page, namespec, "RUNNING")
        wait_row_state(page, "mailer", "FATAL")
        page.wait_for_selector("#conn.live")
        screenshot(page, "webui")
        if os.environ.get("MINDER_UPDATE_SCREENSHOT") == "1":
            SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT))
