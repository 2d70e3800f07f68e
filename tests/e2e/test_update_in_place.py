"""minder's gentler ``update``: inside a changed group only the programs whose
settings changed restart; the others keep their pid.

Every minder client gets it (minderctl, the JSON API behind the web UI,
``minder.updateProcessGroup``); upstream ``supervisorctl`` against minderd,
and minderctl against upstream supervisord, keep supervisord's whole-group
stop/remove/add, with the same output lines.
"""

from __future__ import annotations

import http.client
import json
import xmlrpc.client
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_webui_support import (
    browser,
    minderd_with_ui,
    needs_chromium,
    open_page,
    wait_row_state,
)
from tests.support.daemons import RunningDaemon, UnixStreamHTTPConnection, run_daemon, wait_for

__all__ = ["browser"]  # the fixture, imported so pytest finds it here

BODY = """
[group:g]
programs=a,b

[program:a]
command=/bin/sleep 1000
startsecs=0

[program:b]
command=/bin/sleep 1000
startsecs=0

[program:h]
command=/bin/sleep 1000
process_name=%(program_name)s_%(process_num)d
numprocs=2
startsecs=0
"""
PROCESSES = ("g:a", "g:b", "h:h_0", "h:h_1")
UPDATE_OUTPUT = "g: stopped\ng: updated process group\nh: stopped\nh: updated process group\n"


def pids(daemon: RunningDaemon) -> dict[str, int]:
    """namespec → pid of every RUNNING process."""
    with daemon.rpc() as proxy:
        infos: Any = proxy.supervisor.getAllProcessInfo()
    return {f"{i['group']}:{i['name']}": i["pid"] for i in infos if i["statename"] == "RUNNING"}


def all_running(daemon: RunningDaemon, names: tuple[str, ...]) -> dict[str, int]:
    def found() -> dict[str, int]:
        running = pids(daemon)
        return running if set(names) <= set(running) else {}

    return wait_for(found, what=f"{names} RUNNING")


def edit_config(daemon: RunningDaemon) -> None:
    """Change only a's command (group g) and grow h from 2 to 3 processes."""
    text = daemon.conf.read_text()
    a, rest = text.split("[program:b]")
    a = a.replace("/bin/sleep 1000", "/bin/sleep 1001")
    daemon.conf.write_text((a + "[program:b]" + rest).replace("numprocs=2", "numprocs=3"))


def update_with(daemon: RunningDaemon, client: str) -> tuple[dict[str, int], dict[str, int], str]:
    """Pids before, the ctl output, pids once everything is RUNNING again."""
    before = all_running(daemon, PROCESSES)
    edit_config(daemon)
    result = daemon.ctl("update", client=client)
    assert result.returncode == 0, result.stdout + result.stderr
    after = all_running(daemon, (*PROCESSES, "h:h_2"))
    return before, after, result.stdout


@pytest.mark.parametrize("kind", ["minderd", "supervisord"])
def test_minderctl_update(tmp_path: Path, kind: str) -> None:
    with run_daemon(tmp_path, BODY, kind=kind) as daemon:
        before, after, output = update_with(daemon, "minderctl")
    assert output == UPDATE_OUTPUT  # what supervisorctl prints (next test)
    assert after["g:a"] != before["g:a"]
    if kind == "minderd":  # in place: only a restarted
        assert {n: after[n] for n in ("g:b", "h:h_0", "h:h_1")} == {
            n: before[n] for n in ("g:b", "h:h_0", "h:h_1")
        }
    else:  # upstream supervisord: the whole group
        assert all(after[n] != before[n] for n in PROCESSES)


def test_upstream_supervisorctl_keeps_whole_group_update(tmp_path: Path) -> None:
    with run_daemon(tmp_path, BODY) as daemon:
        before, after, output = update_with(daemon, "supervisorctl")
    assert output == UPDATE_OUTPUT
    assert all(after[n] != before[n] for n in PROCESSES)


def json_post(daemon: RunningDaemon, path: str) -> Any:
    conn = UnixStreamHTTPConnection(str(daemon.socket_path))
    try:
        conn.request("GET", "/api/v1/csrf")
        token = json.loads(conn.getresponse().read())["token"]
        conn.request("POST", path, body=b"{}", headers={
            "X-CSRF-Token": token, "Content-Type": "application/json"})
        response: http.client.HTTPResponse = conn.getresponse()
        assert response.status == 200
        return json.loads(response.read())
    finally:
        conn.close()


def test_json_api_update_keeps_unchanged_pids(tmp_path: Path) -> None:
    with run_daemon(tmp_path, BODY) as daemon:
        before = all_running(daemon, PROCESSES)
        edit_config(daemon)
        preview = json_post(daemon, "/api/v1/config/reread")  # what update will do
        assert preview["plans"] == {
            "g": {"restarted": ["a"], "added": [], "removed": []},
            "h": {"restarted": [], "added": ["h_2"], "removed": []},
        }
        assert all_running(daemon, PROCESSES) == before  # a preview changes nothing
        body = json_post(daemon, "/api/v1/config/update")
        after = all_running(daemon, (*PROCESSES, "h:h_2"))
    assert body["results"] == [
        {"group": "g", "action": "changed", "ok": True, "message": "updated process group",
         "restarted": ["a"], "added": [], "removed": []},
        {"group": "h", "action": "changed", "ok": True, "message": "updated process group",
         "restarted": [], "added": ["h_2"], "removed": []},
    ]
    assert after["g:a"] != before["g:a"]
    assert all(after[n] == before[n] for n in ("g:b", "h:h_0", "h:h_1"))


def test_xmlrpc_update_process_group(tmp_path: Path) -> None:
    with run_daemon(tmp_path, BODY) as daemon:
        before = all_running(daemon, PROCESSES)
        edit_config(daemon)
        with daemon.rpc() as proxy:
            listed: Any = proxy.system.listMethods()
            assert "minder.updateProcessGroup" in listed
            assert proxy.system.methodSignature("minder.updateProcessGroup") == [
                "struct", "string"]
            helptext: Any = proxy.system.methodHelp("minder.updateProcessGroup")
            assert "@param string name" in helptext
            with pytest.raises(xmlrpc.client.Fault) as info:
                proxy.minder.updateProcessGroup("nosuch")
            assert (info.value.faultCode, info.value.faultString) == (10, "BAD_NAME: nosuch")
            # the config is applied as last read: before reloadConfig nothing changed
            assert proxy.minder.updateProcessGroup("g") == {
                "group": "g", "action": "unchanged", "restarted": [], "added": [], "removed": []}
            assert proxy.supervisor.reloadConfig() == [[[], ["g", "h"], []]]
            assert proxy.minder.updateProcessGroup("g") == {
                "group": "g", "action": "updated", "restarted": ["a"], "added": [], "removed": []}
            assert proxy.minder.updateProcessGroup("h") == {
                "group": "h", "action": "updated", "restarted": [], "added": ["h_2"],
                "removed": []}
        after = all_running(daemon, (*PROCESSES, "h:h_2"))
    assert after["g:a"] != before["g:a"]
    assert all(after[n] == before[n] for n in ("g:b", "h:h_0", "h:h_1"))


@pytest.mark.browser
@needs_chromium
def test_web_ui_apply_keeps_unchanged_pids(browser: Any, tmp_path: Path) -> None:
    with minderd_with_ui(tmp_path, BODY) as (daemon, url), open_page(browser, url) as page:
        before = all_running(daemon, PROCESSES)
        wait_row_state(page, "g:b", "RUNNING")
        edit_config(daemon)
        page.click("#btn-changes")
        changed = page.locator('#changes-body li[data-kind="changed"]')
        for group, text in (("g", "restarts a"), ("h", "adds h_2")):
            entry = changed.filter(has=page.get_by_text(group, exact=True))
            expect(entry).to_contain_text(f"{text}; the others keep running")
        expect(page.locator("#changes-body")).not_to_contain_text("every process")
        page.click("#changes-apply")
        page.wait_for_selector("#confirm[open]")
        expect(page.locator("#confirm-text")).to_contain_text("g: restarts a;")
        page.click("#confirm-ok")
        page.wait_for_selector("#changes-body >> text=updated process group (restarted: a)")
        page.wait_for_selector("#changes-body >> text=updated process group (added: h_2)")
        after = all_running(daemon, (*PROCESSES, "h:h_2"))
    assert after["g:a"] != before["g:a"]
    assert all(after[n] == before[n] for n in ("g:b", "h:h_0", "h:h_1"))
