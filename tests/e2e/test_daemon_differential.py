"""The same programs under supervisord 4.3 and minderd: clients see the same states.

Only outcomes that are deterministic upstream are compared (no program that
exits within startsecs, where supervisord races; reference §3.4).
"""

from __future__ import annotations

import sys
from typing import Any

import pytest

from tests.support.daemons import RunningDaemon, run_daemon, wait_for

PY = sys.executable
PROGRAMS = f"""
[program:sleeper]
command={PY} -c 'import time; time.sleep(300)'

[program:done_ok]
command={PY} -c 'import time, sys; time.sleep(1.5); sys.exit(0)'

[program:done_bad]
command={PY} -c 'import time, sys; time.sleep(1.5); sys.exit(3)'
autorestart=false

[program:nocmd]
command=/nonexistent/cmd
startretries=0

[program:manual]
command={PY} -c 'import time; time.sleep(300)'
autostart=false

[group:pair]
programs=first,second

[program:first]
command={PY} -c 'import time; time.sleep(300)'
startsecs=0

[program:second]
command={PY} -c 'import time; time.sleep(300)'
startsecs=0
"""

SETTLED = {
    "sleeper": "RUNNING",
    "done_ok": "EXITED",
    "done_bad": "EXITED",
    "nocmd": "FATAL",
    "manual": "STOPPED",
    "first": "RUNNING",
    "second": "RUNNING",
}
COMPARED = ("name", "group", "statename", "state", "exitstatus", "spawnerr")


def settled_view(d: RunningDaemon) -> list[dict[str, Any]]:
    def view() -> list[dict[str, Any]] | None:
        with d.rpc() as proxy:
            infos = proxy.supervisor.getAllProcessInfo()
        if any(SETTLED[i["name"]] != i["statename"] for i in infos):
            return None
        return [{k: i[k] for k in COMPARED} | {"blank": i["description"] == ""} for i in infos]

    return wait_for(view, timeout=40, interval=0.2, what=f"{d.kind} to settle")


@pytest.fixture(scope="module")
def views(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[list[dict[str, Any]], str]]:
    out = {}
    for kind in ("supervisord", "minderd"):
        with run_daemon(tmp_path_factory.mktemp(kind), PROGRAMS, kind=kind) as d:
            out[kind] = (settled_view(d), d.main_log())
    return out


def test_process_info_matches(views: dict[str, tuple[list[dict[str, Any]], str]]) -> None:
    assert views["minderd"][0] == views["supervisord"][0]


@pytest.mark.parametrize(
    "line",
    [
        "exited: done_ok (exit status 0; expected)",
        "exited: done_bad (exit status 3; not expected)",
        "spawnerr: can't find command '/nonexistent/cmd'",
        "gave up: nocmd entered FATAL state, too many start retries too quickly",
        "success: sleeper entered RUNNING state, process has stayed up for > than 1 seconds "
        "(startsecs)",
        "spawned: 'first' with pid ",
    ],
)
def test_main_log_lines_match(
    views: dict[str, tuple[list[dict[str, Any]], str]], line: str
) -> None:
    assert line in views["supervisord"][1]
    assert line in views["minderd"][1]
