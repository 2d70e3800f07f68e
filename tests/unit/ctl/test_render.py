"""Status/avail text, colour and the JSON shapes."""

from __future__ import annotations

import io

from minder.ctl.render import (
    avail_json,
    avail_line,
    changes_lines,
    status_json,
    status_lines,
    tail_prefixes,
)
from minder.ctl.session import colour_wanted

from .canned import info


def test_status_columns_like_supervisorctl() -> None:
    lines = status_lines([info("a", "RUNNING", pid=5, description="pid 5, uptime 0:01:05"),
                          info("c", "STARTING", group="grp")])
    assert lines == [
        "a" + " " * 32 + "RUNNING   pid 5, uptime 0:01:05",
        "grp:c" + " " * 28 + "STARTING  ",
    ]


def test_long_names_widen_the_column() -> None:
    long = "x" * 40
    lines = status_lines([info(long, "STOPPED", description="Not started"), info("a", "FATAL")])
    assert lines[0] == long + "   STOPPED   Not started"
    assert lines[1].startswith("a" + " " * 42 + "FATAL")


def test_colour_wraps_only_the_state_and_keeps_alignment() -> None:
    plain = status_lines([info("a", "FATAL", description="Exited too quickly")])
    coloured = status_lines([info("a", "FATAL", description="Exited too quickly")], colour=True)
    assert coloured[0] != plain[0]
    assert "\x1b[" in coloured[0]
    stripped = coloured[0].replace("\x1b[1;31m", "").replace("\x1b[0m", "")
    assert stripped == plain[0]


def test_colour_only_on_a_tty_without_no_color() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert colour_wanted(Tty(), {}) is True
    assert colour_wanted(Tty(), {"NO_COLOR": "1"}) is False
    assert colour_wanted(Tty(), {"TERM": "dumb"}) is False
    assert colour_wanted(io.StringIO(), {}) is False


def test_avail_line() -> None:
    config = {"name": "c", "group": "grp", "inuse": True, "autostart": False,
              "group_prio": 5, "process_prio": 999}
    assert avail_line(config) == "grp:c" + " " * 28 + "in use    manual    5:999"


def test_status_json_shape() -> None:
    [row] = status_json([info("c", "RUNNING", group="grp", pid=7, description="pid 7")])
    assert row == {
        "namespec": "grp:c", "group": "grp", "name": "c", "state": "RUNNING",
        "statecode": 20, "description": "pid 7", "pid": 7, "start": 1000, "stop": 0,
        "now": 1065, "uptime": 65, "exitstatus": 0, "spawnerr": "",
        "stdout_logfile": "", "stderr_logfile": "",
    }
    [stopped] = status_json([info("a", "STOPPED")])
    assert stopped["uptime"] is None


def test_avail_json_shape() -> None:
    config = {"name": "a", "group": "a", "inuse": False, "autostart": True,
              "group_prio": 999, "process_prio": 1}
    assert avail_json([config]) == [{
        "namespec": "a", "group": "a", "name": "a", "inuse": False, "autostart": True,
        "group_priority": 999, "process_priority": 1,
    }]


def test_reread_changes() -> None:
    assert changes_lines([], [], []) == ["No config updates to processes"]
    assert changes_lines(["new"], ["b"], ["a"]) == ["a: disappeared", "b: changed",
                                                    "new: available"]


def test_tail_prefixes_are_padded() -> None:
    prefixes = tail_prefixes(["web", "worker:w0"], colour=False)
    assert prefixes == {"web": "web       | ", "worker:w0": "worker:w0 | "}
    coloured = tail_prefixes(["web", "db"], colour=True)
    assert coloured["web"] != coloured["db"]
