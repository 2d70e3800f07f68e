"""The dashboard in headless Chromium against a real minderd.

Live updates (a stop by minderctl shows up without reload), actions from
the UI, the live log viewer, escaping of hostile output, and config
changes applied from the pending-changes view.
"""

from __future__ import annotations

import re
import time
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
    open_page,
    row,
    screenshot,
    state_of,
    supervisor_call,
    wait_row_state,
    write_script,
)
from tests.support.daemons import RunningDaemon, wait_for

pytestmark = [pytest.mark.browser, needs_chromium]
__all__ = ["browser"]  # the fixture, imported so pytest finds it here

ECHO = """\
import sys
print("echo ready", flush=True)
for line in sys.stdin:
    print("echo:", line.strip(), flush=True)
"""
TRAP = """\
import signal, sys, time
signal.signal(signal.SIGHUP, lambda *_: print("got SIGHUP", flush=True))
print("trap ready", flush=True)
while True:
    time.sleep(1)
"""
HOSTILE = """\
import time
red = "\\x1b[31mred\\x1b[0m"
print(red, "<img src=x onerror=\\"document.title='pwned'\\"> <b>bold</b>", flush=True)
time.sleep(1000)
"""

PROGRAMS = """
[program:echo]
command={python} -u {workdir}/echo.py

[program:hostile]
command={python} -u {workdir}/hostile.py

[program:unlogged]
command={python} -u {workdir}/echo.py
stdout_logfile=NONE

[program:trap]
command={python} -u {workdir}/trap.py

[program:sleeper]
command=sleep 1000

[program:clicked]
command=sleep 1000

[program:broken]
command=/nonexistent/program
autostart=false

[program:pool]
command=sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)d
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningDaemon, str]]:
    import sys

    workdir = tmp_path_factory.mktemp("webui")
    write_script(workdir, "echo.py", ECHO)
    write_script(workdir, "hostile.py", HOSTILE)
    write_script(workdir, "trap.py", TRAP)
    body = PROGRAMS.format(python=sys.executable, workdir=workdir)
    with minderd_with_ui(workdir, body) as (d, url):
        wait_for(
            lambda: all(
                p["statename"] == "RUNNING"
                for p in supervisor_call(d, "getAllProcessInfo")
                if p["name"] != "broken"
            ),
            timeout=30,
            what="every program RUNNING",
        )
        yield d, url


def test_dashboard_lists_processes_with_security_headers(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    _, url = daemon
    with urllib.request.urlopen(url) as resp:
        headers = resp.headers
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'self'" in headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    with open_page(browser, url) as page:
        wait_row_state(page, "sleeper", "RUNNING")
        page.wait_for_selector("#conn.live")
        assert page.locator("tr.group-row[data-group=pool]").count() == 1
        assert row(page, "pool:pool_0").count() == 1
        pid = row(page, "sleeper").locator(".col-pid").inner_text()
        assert pid.isdigit()
        screenshot(page, "webui-dashboard")


def test_themes_keyboard_and_phone_layout(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    with open_page(browser, url, color_scheme="dark") as page:
        wait_row_state(page, "sleeper", "RUNNING")
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        page.keyboard.press("t")  # toggle to light, remembered across reloads
        assert page.locator("html").get_attribute("data-theme") == "light"
        page.reload()
        wait_row_state(page, "sleeper", "RUNNING")
        assert page.locator("html").get_attribute("data-theme") == "light"
        assert page.evaluate("getComputedStyle(document.body).backgroundColor") != background
        page.keyboard.press("/")
        assert page.evaluate("document.activeElement.id") == "filter"
        page.keyboard.type("pool")
        expect(row(page, "sleeper")).to_be_hidden()
        expect(row(page, "pool:pool_0")).to_be_visible()
        page.keyboard.press("Escape")  # clears the field
        page.keyboard.press("Escape")  # leaves it
        row(page, "sleeper").locator(".name").focus()
        page.keyboard.press("Enter")  # opens its log
        page.wait_for_selector("#logview:not([hidden])")
        page.keyboard.press("Escape")
        page.wait_for_selector("#logview", state="hidden")
        assert page.evaluate("document.activeElement.closest('tr')?.dataset.namespec") == "sleeper"
        page.click('.chip[data-show="stopped"]')
        expect(row(page, "broken")).to_be_visible()
        expect(row(page, "sleeper")).to_be_hidden()
    with open_page(browser, url, viewport={"width": 390, "height": 844}) as page:
        wait_row_state(page, "sleeper", "RUNNING")
        expect(row(page, "sleeper").locator(".col-pid")).to_be_hidden()
        expect(row(page, "sleeper").locator('button[data-act="stop"]')).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390, f"the page scrolls sideways on a phone ({width}px)"
        screenshot(page, "webui-phone")


def test_a_stop_by_minderctl_shows_up_live(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "sleeper", "RUNNING")
        page.wait_for_selector("#conn.live")
        loads = page.evaluate("performance.getEntriesByType('navigation').length")
        result = d.ctl("stop", "sleeper")
        assert result.returncode == 0, result.stdout + result.stderr
        wait_row_state(page, "sleeper", "STOPPED")
        assert page.evaluate("performance.getEntriesByType('navigation').length") == loads
        supervisor_call(d, "startProcess", "sleeper")
        wait_row_state(page, "sleeper", "RUNNING")
        screenshot(page, "webui-live-update")


def test_stop_and_start_from_the_ui(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "clicked", "RUNNING")
        row(page, "clicked").locator('button[data-act="stop"]').click()
        wait_row_state(page, "clicked", "STOPPED")
        assert state_of(d, "clicked") == "STOPPED"
        row(page, "clicked").locator('button[data-act="start"]').click()
        wait_row_state(page, "clicked", "RUNNING")
        assert state_of(d, "clicked") == "RUNNING"
        page.wait_for_selector(".toast >> text=Started clicked")


def test_group_stop_asks_for_confirmation(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "pool:pool_1", "RUNNING")
        group = page.locator("tr.group-row[data-group=pool]")
        group.locator('button[data-group-act="stop"]').click()
        page.wait_for_selector("#confirm[open]")
        screenshot(page, "webui-confirm")
        page.click("#confirm-cancel")
        assert state_of(d, "pool:pool_0") == "RUNNING"
        group.locator('button[data-group-act="stop"]').click()
        page.click("#confirm-ok")
        wait_row_state(page, "pool:pool_0", "STOPPED")
        wait_row_state(page, "pool:pool_1", "STOPPED")
        group.locator('button[data-group-act="start"]').click()  # start needs no confirmation
        wait_row_state(page, "pool:pool_0", "RUNNING")
        wait_row_state(page, "pool:pool_1", "RUNNING")


def test_a_stale_csrf_token_is_renewed(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    """A page older than the daemon's secret (say, from before a restart)."""
    _, url = daemon
    with open_page(browser, "about:blank") as page:

        def stale_token(route: Any) -> None:
            page_html = route.fetch().text()
            stale = re.sub(
                r'name="csrf-token" content="\w+"', 'name="csrf-token" content="0"', page_html
            )
            route.fulfill(body=stale, content_type="text/html")

        page.route(url, stale_token)
        page.goto(url)
        assert page.locator('meta[name="csrf-token"]').get_attribute("content") == "0"
        wait_row_state(page, "clicked", "RUNNING")
        row(page, "clicked").locator('button[data-act="restart"]').click()
        expect(page.locator(".toast").last).to_contain_text("Restarted clicked")
        wait_row_state(page, "clicked", "RUNNING")
        assert page.locator(".toast.error").count() == 0


def test_a_failed_action_shows_its_error(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "broken", "STOPPED")
        row(page, "broken").locator('button[data-act="start"]').click()
        toast = page.locator(".toast.error")
        expect(toast).to_contain_text("Start broken failed")
        expect(toast).to_contain_text("/nonexistent/program")
        screenshot(page, "webui-action-error")
        result = page.evaluate(
            """async () => {
                const app = document.querySelector('script[type=module]').src;
                const api = await import(app.replace('/js/app.js', '/js/api.js'));
                try { await api.postJSON('api/v1/processes/sleeper/start'); return 'no error'; }
                catch (e) { return `${e.status} ${e.name} ${e.message}`; }
            }"""
        )
        assert result == "409 ALREADY_STARTED ALREADY_STARTED: sleeper"


def test_follow_a_log_line_appearing_live(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    d, url = daemon
    with open_page(browser, url) as page:
        wait_row_state(page, "echo", "RUNNING")
        row(page, "echo").locator(".name").click()
        page.wait_for_selector("#logview:not([hidden])")
        expect(page.locator("#log-body")).to_contain_text("echo ready")
        marker = f"hello-from-the-test-{time.monotonic_ns()}"
        supervisor_call(d, "sendProcessStdin", "echo", marker + "\n")
        expect(page.locator("#log-body")).to_contain_text(f"echo: {marker}")
        page.fill("#stdin-input", "typed in the browser")  # and from the page itself
        page.keyboard.press("Enter")
        expect(page.locator("#log-body")).to_contain_text("echo: typed in the browser")
        assert "#log=echo" in page.url
        page.fill("#log-search", "hello-from")
        page.wait_for_selector("#log-body mark")
        screenshot(page, "webui-log-viewer")
        page.keyboard.press("Escape")  # clears the search field first
        page.locator("#log-body").focus()
        page.keyboard.press("Escape")
        page.wait_for_selector("#logview", state="hidden")


def test_signal_and_clear_from_the_row_menu(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    d, url = daemon
    log = Path(supervisor_call(d, "getProcessInfo", "trap")["stdout_logfile"])
    wait_for(lambda: "trap ready" in log.read_text(), what="trap ready")
    with open_page(browser, url) as page:
        wait_row_state(page, "trap", "RUNNING")
        row(page, "trap").locator('button[data-act="more"]').click()
        page.wait_for_selector("#row-menu:not([hidden])")
        screenshot(page, "webui-row-menu")
        page.click('#row-menu [data-signal="HUP"]')
        expect(page.locator(".toast")).to_contain_text("Sent SIGHUP to trap")
        wait_for(lambda: "got SIGHUP" in log.read_text(), what="the child to get SIGHUP")
        row(page, "trap").locator('button[data-act="more"]').click()
        page.click('#row-menu [data-menu="clear"]')
        page.click("#confirm-ok")
        expect(page.locator(".toast").last).to_contain_text("Cleared the logs of trap")
        wait_for(lambda: "got SIGHUP" not in log.read_text(), what="the log to be cleared")
        assert state_of(d, "trap") == "RUNNING"


def test_output_without_a_log_file_is_shown_live(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    d, url = daemon
    with open_page(browser, url + "#log=unlogged&ch=stdout") as page:
        expect(page.locator("#log-status")).to_contain_text("showing live output only")
        expect(page.locator("#log-status")).to_contain_text("following live")
        marker = f"unlogged-{time.monotonic_ns()}"
        supervisor_call(d, "sendProcessStdin", "unlogged", marker + "\n")
        expect(page.locator("#log-body")).to_contain_text(f"echo: {marker}")


def test_hostile_output_is_shown_as_text(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    with open_page(browser, url + "tail.html?processname=hostile") as page:
        expect(page.locator("#log-body")).to_contain_text("onerror")
        body = page.locator("#log-body")
        text = body.text_content() or ""
        assert "red <img src=x" in text  # ANSI stripped, markup kept as text
        assert "\x1b" not in text
        assert body.locator("img, b").count() == 0
        assert page.title() != "pwned"


def test_main_log_viewer(browser: Any, daemon: tuple[RunningDaemon, str]) -> None:
    _, url = daemon
    with open_page(browser, url) as page:
        page.wait_for_selector("#conn.live")
        page.keyboard.press("m")
        expect(page.locator("#log-body")).to_contain_text("success: echo")


def test_legacy_action_link_asks_before_acting(
    browser: Any, daemon: tuple[RunningDaemon, str]
) -> None:
    d, url = daemon
    pid = supervisor_call(d, "getProcessInfo", "clicked")["pid"]
    with open_page(browser, url + "index.html?action=stop&processname=clicked") as page:
        page.wait_for_selector("text=minder never acts on a link")
        assert supervisor_call(d, "getProcessInfo", "clicked")["pid"] == pid
        screenshot(page, "webui-legacy-confirm")
        page.click("button[type=submit]")
        page.wait_for_selector("#banner >> text=Process clicked stopped")
        wait_row_state(page, "clicked", "STOPPED")
        assert "action=" not in page.url
    supervisor_call(d, "startProcess", "clicked")


def test_apply_a_config_change(browser: Any, tmp_path: Path) -> None:
    program = "[program:first]\ncommand=sleep 1000\n"
    with minderd_with_ui(tmp_path, program) as (d, url), open_page(browser, url) as page:
        wait_row_state(page, "first", "RUNNING")
        with d.conf.open("a") as conf:
            conf.write("\n[program:second]\ncommand=sleep 1000\n")
        page.click("#btn-changes")
        page.wait_for_selector('#changes-body li[data-kind="added"] >> text=second')
        screenshot(page, "webui-config-changes")
        assert row(page, "second").count() == 0
        page.click("#changes-apply")
        page.wait_for_selector("#changes-body >> text=added process group")
        wait_row_state(page, "second", "RUNNING")
        assert state_of(d, "second") == "RUNNING"
        page.click("#changes-reread")
        page.wait_for_selector("#changes-body >> text=No config changes")


def test_the_page_survives_a_daemon_reload(browser: Any, tmp_path: Path) -> None:
    program = "[program:kept]\ncommand=sleep 1000\n"
    with minderd_with_ui(tmp_path, program) as (d, url), open_page(browser, url) as page:
        wait_row_state(page, "kept", "RUNNING")
        page.wait_for_selector("#conn.live")
        old_pid = supervisor_call(d, "getProcessInfo", "kept")["pid"]
        supervisor_call(d, "restart")
        wait_for(
            lambda: supervisor_call(d, "getProcessInfo", "kept")["pid"] not in (0, old_pid),
            timeout=30,
            what="kept to run again after the reload",
        )
        page.wait_for_selector("#conn.live")
        new_pid = str(supervisor_call(d, "getProcessInfo", "kept")["pid"])
        expect(row(page, "kept").locator(".col-pid")).to_have_text(new_pid)
        row(page, "kept").locator('button[data-act="stop"]').click()  # token still accepted
        wait_row_state(page, "kept", "STOPPED")
        assert state_of(d, "kept") == "STOPPED"
