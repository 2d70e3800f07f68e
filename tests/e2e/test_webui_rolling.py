"""The rolling restart button and the Ready/↺ columns in headless Chromium,
against a real minderd: progress shows in the group row while the rollout
runs, each member is restarted after the previous one is ready, and the
Ready column follows a ready_check."""

from __future__ import annotations

import sys
from collections.abc import Iterator
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
    supervisor_call,
    wait_row_state,
    write_script,
)
from tests.support.daemons import RunningDaemon, wait_for
from tests.support.ports import free_port

pytestmark = [pytest.mark.browser, needs_chromium]
__all__ = ["browser"]

# Opens its port after a second, so readiness is visibly later than RUNNING.
SERVER = """\
import socket, sys, time
time.sleep(1)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(8)
while True:
    s.accept()[0].close()
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningDaemon, str, int]]:
    workdir = tmp_path_factory.mktemp("rolling")
    write_script(workdir, "server.py", SERVER)
    base = free_port(3)  # process_num is the port: three in a row
    body = f"""
[program:web]
command={sys.executable} -u {workdir}/server.py %(process_num)d
numprocs=3
numprocs_start={base}
process_name=web_%(process_num)d
startsecs=0
ready_check=tcp://127.0.0.1:%(process_num)d
ready_interval=0.2
"""
    with minderd_with_ui(workdir, body) as (d, url):
        wait_for(lambda: all(v["ready"] for v in supervisor_call_minder(d)), timeout=30,
                 what="every web process ready")
        yield d, url, base


def supervisor_call_minder(d: RunningDaemon) -> list[dict[str, Any]]:
    with d.rpc() as rpc:
        return list(rpc.minder.getAllProcessVitals())


def test_rolling_restart_button_shows_progress_and_restarts_one_at_a_time(
    browser: Any, daemon: tuple[RunningDaemon, str, int]
) -> None:
    d, url, base = daemon
    names = [f"web:web_{base + i}" for i in range(3)]
    before = {p["name"]: p["pid"] for p in supervisor_call(d, "getAllProcessInfo")}
    with open_page(browser, url) as page:
        for name in names:
            wait_row_state(page, name, "RUNNING")
            expect(row(page, name).locator(".col-ready")).to_have_text("ready")
        group = page.locator("tr.group-row[data-group=web]")
        group.locator('button[data-group-act="rolling"]').click()
        page.wait_for_selector("#confirm[open]")
        page.click("#confirm-ok")
        progress = group.locator(".group-progress")
        expect(progress).to_contain_text("rolling restart", timeout=10_000)
        # while it runs, the row names the member being restarted
        expect(progress).to_contain_text(f"{names[1]}", timeout=20_000)
        screenshot(page, "webui-rolling-progress")
        expect(progress).to_have_text("rolling restart done", timeout=30_000)
        for name in names:
            expect(row(page, name).locator(".col-ready")).to_have_text("ready", timeout=10_000)
            expect(row(page, name).locator(".col-restarts")).to_have_text("1")
        screenshot(page, "webui-rolling-done")
    after = {p["name"]: p["pid"] for p in supervisor_call(d, "getAllProcessInfo")}
    assert all(after[n] != before[n] for n in before)
    log = d.main_log()
    # one at a time: the second was stopped only after the first was ready again
    respawned = log.index(f"spawned: 'web_{base}' with pid {after[f'web_{base}']}")
    first_ready = log.index(f"{names[0]}: ready:", respawned)
    second_stop = log.index(f"stopped: web_{base + 1}")
    assert first_ready < second_stop


def test_a_step_event_after_the_answer_does_not_undo_done(
    browser: Any, daemon: tuple[RunningDaemon, str, int]
) -> None:
    """The stream and the POST's answer race; a late step must not overwrite "done".

    Under load the last step's event ("3/3 … ready") reached the page after the
    rolling-restart answer had set "done", and the row kept saying 3/3. The
    page's own table class is driven with that order on the page's real DOM
    and processes.
    """
    _, url, base = daemon
    names = [f"web:web_{base + i}" for i in range(3)]
    with open_page(browser, url) as page:
        wait_row_state(page, names[0], "RUNNING")
        text = page.evaluate(
            """async (last) => {
                const src = document.querySelector('script[type=module][src*="app.js"]').src;
                const { ProcessTable } = await import(src.replace("app.js", "table.js"));
                const tbody = document.createElement("tbody");
                const table = new ProcessTable({
                    tbody, template: document.getElementById("row-template"),
                    empty: document.createElement("p"),
                });
                const procs = await (await fetch("api/v1/processes")).json();
                table.setAll(procs);
                const step = { rollout: "r1", namespec: last, phase: "ready", done: 3, total: 3,
                               detail: "" };
                table.rolloutStarted("web", 3);
                table.rolloutProgress(step);
                table.rolloutFinished("web", "done");
                table.rolloutProgress(step);  // the late copy
                return table.progressOf("web").textContent;
            }""",
            names[2],
        )
    assert text == "rolling restart done"
