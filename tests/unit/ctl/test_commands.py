"""Commands against canned daemon answers: output lines and exit codes."""

from __future__ import annotations

import errno
import io
import json
from typing import Any

import pytest

from minder.ctl.commands.helpcmd import do_help
from minder.ctl.commands.logs import parse_tail_args
from minder.ctl.helptext import TOPICS
from minder.ctl.transport import AuthRequired
from minder.protocol.faults import Faults

from .canned import CannedSession, fault, info

INFOS = [
    info("a", "RUNNING", pid=11, description="pid 11, uptime 0:01:05"),
    info("b", "STOPPED", description="Not started"),
    info("c", "RUNNING", group="grp", pid=12, description="pid 12, uptime 0:01:05"),
]


def test_status_all_exits_3_when_something_is_stopped() -> None:
    out, code = CannedSession({"supervisor.getAllProcessInfo": INFOS}).run("status")
    assert code == 3
    assert out.splitlines()[1].startswith("b" + " " * 32 + "STOPPED")


def test_status_of_running_ones_exits_0() -> None:
    out, code = CannedSession({"supervisor.getAllProcessInfo": INFOS}).run("status a grp:*")
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == ["a", "grp:c"]


def test_status_bad_names_exit_4_but_stopped_wins() -> None:
    session = CannedSession({"supervisor.getAllProcessInfo": INFOS})
    out, code = session.run("status nosuch zz:*")
    assert out.splitlines() == ["nosuch: ERROR (no such process)", "zz: ERROR (no such group)"]
    assert code == 4
    _, code = CannedSession({"supervisor.getAllProcessInfo": INFOS}).run("status nosuch b")
    assert code == 3


def test_status_reads_minderds_json_array_the_same() -> None:
    """Against minderd the array comes as JSON text; the table is the same bytes."""
    plain = CannedSession({"supervisor.getAllProcessInfo": INFOS})
    from_json = CannedSession({"minder.getAllProcessInfoJSON": json.dumps(INFOS)})
    assert from_json.run("status") == plain.run("status")
    assert [c[0] for c in from_json.calls] == [
        "supervisor.getVersion", "minder.getAllProcessInfoJSON"]
    assert [c[0] for c in plain.calls] == [
        "supervisor.getVersion", "minder.getAllProcessInfoJSON", "supervisor.getAllProcessInfo"]
    out, code = CannedSession({"minder.getAllProcessInfoJSON": "[{"}).run("status")
    assert code == 1 and "bad JSON answer" in out


def test_status_json_keeps_stdout_parseable(capsys: pytest.CaptureFixture[str]) -> None:
    out, code = CannedSession({"supervisor.getAllProcessInfo": INFOS,
                               "minder.getAllProcessVitals": []}).run("status --json a x")
    assert code == 4
    assert [row["namespec"] for row in json.loads(out)] == ["a"]
    assert "x: ERROR (no such process)" in capsys.readouterr().err


def test_status_json_adds_minders_vitals_when_the_daemon_has_them() -> None:
    vitals = [{"group": "a", "name": "a", "ready": True, "restarts": 2, "rss": 4096,
               "last_exit": "exit status 1", "unlisted": "dropped"}]
    out, _ = CannedSession({"supervisor.getAllProcessInfo": INFOS,
                            "minder.getAllProcessVitals": vitals}).run("status --json a")
    (row,) = json.loads(out)
    assert (row["ready"], row["restarts"], row["rss"], row["last_exit"]) == (
        True, 2, 4096, "exit status 1")
    assert "unlisted" not in row


def test_status_without_daemon_exits_4() -> None:
    missing = FileNotFoundError(errno.ENOENT, "No such file")
    out, code = CannedSession({"supervisor.getVersion": missing}).run("status")
    assert (out, code) == ("unix:///tmp/canned.sock no such file\n", 4)


def test_other_commands_without_daemon_keep_supervisorctl_codes() -> None:
    missing = FileNotFoundError(errno.ENOENT, "No such file")
    refused = ConnectionRefusedError(errno.ECONNREFUSED, "refused")
    assert CannedSession({"supervisor.getVersion": missing}).run("start a")[1] == 7
    assert CannedSession({"supervisor.getVersion": refused}).run("start a")[1] == 4
    out, code = CannedSession({"supervisor.getAllConfigInfo": missing}).run("avail")
    assert (out, code) == ("unix:///tmp/canned.sock no such file\n", 1)


def test_wrong_credentials_is_one_line_and_exit_1() -> None:
    out, code = CannedSession({"supervisor.getVersion": AuthRequired()}).run("status")
    assert out.startswith("Server requires authentication\n")
    assert "Traceback" not in out and code == 1


def test_api_version_mismatch_exits_5() -> None:
    _, code = CannedSession({"supervisor.getVersion": "2.0"}).run("version")
    assert code == 5


def test_start_results_and_codes() -> None:
    answers = {
        "supervisor.startProcess": lambda name: {
            "a": fault(Faults.ALREADY_STARTED, "ALREADY_STARTED: a"),
            "bad": fault(Faults.SPAWN_ERROR, "SPAWN_ERROR: bad"),
            "b": True,
        }[name],
    }
    session = CannedSession(answers)
    out, code = session.run("start a b")
    assert out == "a: ERROR (already started)\nb: started\n"
    assert code == 0
    out, code = CannedSession(answers).run("start bad")
    assert (out, code) == ("bad: ERROR (spawn error)\n", 7)


def test_start_group_and_all() -> None:
    results = [{"name": "c", "group": "grp", "status": 80, "description": "OK"}]
    answers = {
        "supervisor.startProcessGroup": lambda g: results if g == "grp"
        else fault(Faults.BAD_NAME, g),
        "supervisor.startAllProcesses": results,
    }
    assert CannedSession(answers).run("start grp:*") == ("grp:c: started\n", 0)
    assert CannedSession(answers).run("start nope:*") == ("nope: ERROR (no such group)\n", 2)
    assert CannedSession(answers).run("start all") == ("grp:c: started\n", 0)


def test_start_without_names_is_invalid_args() -> None:
    out, code = CannedSession({}).run("start")
    assert out.startswith("Error: start requires a process name\n")
    assert code == 2


def test_stop_not_running_is_exit_0_and_no_name_is_1() -> None:
    answers = {"supervisor.stopProcess": fault(Faults.NOT_RUNNING, "NOT_RUNNING")}
    assert CannedSession(answers).run("stop g:p") == ("g:p: ERROR (not running)\n", 0)
    assert CannedSession(answers).run("stop")[1] == 1


def test_stop_failed_prints_the_raw_fault() -> None:
    answers = {"supervisor.stopProcess": fault(Faults.FAILED, "FAILED: kill error")}
    assert CannedSession(answers).run("stop a") == ("FAILED: kill error\n", 1)


def test_signal() -> None:
    answers = {"supervisor.signalProcess": lambda n, s: fault(Faults.BAD_SIGNAL, s)
               if s == "NOPE" else True}
    assert CannedSession(answers).run("signal HUP a") == ("a: signalled\n", 0)
    assert CannedSession(answers).run("signal NOPE a") == ("a: ERROR (bad signal name)\n", 1)
    out, code = CannedSession(answers).run("signal HUP")
    assert out.startswith("Error: signal requires a signal name and a process name\n")
    assert code == 1


def test_pid_forms() -> None:
    answers = {
        "supervisor.getPID": 42,
        "supervisor.getAllProcessInfo": INFOS,
        "supervisor.getProcessInfo": lambda n: next((i for i in INFOS if i["name"] == n), None)
        or fault(Faults.BAD_NAME, n),
    }
    assert CannedSession(answers).run("pid") == ("42\n", 0)
    assert CannedSession(answers).run("pid all") == ("11\n0\n12\n", 0)
    assert CannedSession(answers).run("pid b") == ("0\n", 7)
    assert CannedSession(answers).run("pid x") == ("No such process x\n", 1)


def test_reread_update_add_remove() -> None:
    answers = {
        "supervisor.reloadConfig": [[["new"], ["chg"], ["old"]]],
        "supervisor.stopProcessGroup": [],
        "supervisor.removeProcessGroup": True,
        "supervisor.addProcessGroup": True,
        "supervisor.getAllProcessInfo": INFOS,
        "minder.updateProcessGroup": fault(Faults.UNKNOWN_METHOD, "UNKNOWN_METHOD"),
    }
    assert CannedSession(answers).run("reread") == (
        "chg: changed\nnew: available\nold: disappeared\n", 0)
    assert CannedSession(answers).run("update") == (
        "old: stopped\nold: removed process group\nchg: stopped\nchg: updated process group\n"
        "new: added process group\n", 0)
    assert CannedSession(answers).run("update new zz") == (
        "ERROR: no such group: zz\nnew: added process group\n", 1)
    answers["supervisor.addProcessGroup"] = fault(Faults.ALREADY_ADDED, "ALREADY_ADDED")
    assert CannedSession(answers).run("add a") == ("ERROR: process group already active\n", 0)
    answers["supervisor.removeProcessGroup"] = fault(Faults.STILL_RUNNING, "STILL_RUNNING")
    assert CannedSession(answers).run("remove a") == (
        "ERROR: process/group still running: a\n", 1)


UPSTREAM_UPDATE = [
    ("supervisor.stopProcessGroup", ("c1",)), ("supervisor.removeProcessGroup", ("c1",)),
    ("supervisor.addProcessGroup", ("c1",)),
    ("supervisor.stopProcessGroup", ("c2",)), ("supervisor.removeProcessGroup", ("c2",)),
    ("supervisor.addProcessGroup", ("c2",)),
]


@pytest.mark.parametrize("upstream", [False, True], ids=["minderd", "supervisord"])
def test_update_of_changed_groups_in_place_when_offered(upstream: bool) -> None:
    answers: dict[str, Any] = {
        "supervisor.reloadConfig": [[[], ["c1", "c2"], []]],
        "supervisor.stopProcessGroup": [],
        "supervisor.removeProcessGroup": True,
        "supervisor.addProcessGroup": True,
        "minder.updateProcessGroup": (
            fault(Faults.UNKNOWN_METHOD, "UNKNOWN_METHOD") if upstream
            else {"group": "c", "action": "updated", "restarted": ["x"], "added": [],
                  "removed": []}
        ),
    }
    session = CannedSession(answers)
    assert session.run("update") == (
        "c1: stopped\nc1: updated process group\nc2: stopped\nc2: updated process group\n", 0)
    asked = [call for call in session.calls if call[0] != "supervisor.reloadConfig"]
    if upstream:  # asked once, then supervisorctl's sequence for every changed group
        assert asked == [("minder.updateProcessGroup", ("c1",)), *UPSTREAM_UPDATE]
    else:
        assert asked == [("minder.updateProcessGroup", ("c1",)),
                         ("minder.updateProcessGroup", ("c2",))]


def test_unknown_command_and_unexpected_fault() -> None:
    assert CannedSession({}).run("frobnicate x") == ("*** Unknown syntax: frobnicate x\n", 1)
    answers = {"supervisor.getSupervisorVersion": fault(Faults.FAILED, "FAILED: odd")}
    out, code = CannedSession(answers).run("version")
    assert out == "error: the daemon refused version: FAILED: odd (fault 30)\n" and code == 1
    answers = {"supervisor.getVersion": fault(Faults.SHUTDOWN_STATE, "SHUTDOWN_STATE")}
    out, code = CannedSession(answers).run("status")
    assert out == "error: unix:///tmp/canned.sock is shutting down or restarting\n"
    assert code == 1


def test_dispatch_knows_the_shutdown_fault_code() -> None:
    from minder.ctl.dispatch import SHUTDOWN_STATE

    assert SHUTDOWN_STATE == Faults.SHUTDOWN_STATE


@pytest.mark.parametrize(
    ("line", "parsed"),
    [
        ("a", (None, ["a"], "stdout")),
        ("-100 a", ("-100", ["a"], "stdout")),
        ("a stderr", (None, ["a"], "stderr")),
        ("-f a STDERR", ("-f", ["a"], "stderr")),
        ("-f web worker:*", ("-f", ["web", "worker:*"], "stdout")),
        ("-f web worker:* stderr", ("-f", ["web", "worker:*"], "stderr")),
        ("", "Error: too few arguments"),
        ("a b c d", "Error: too many arguments"),
        ("a bogus", "Error: bad channel 'bogus'"),
        ("-5", "Error: tail requires process name"),
    ],
)
def test_tail_arguments(line: str, parsed: object) -> None:
    assert parse_tail_args(line.split()) == parsed


def test_tail_errors() -> None:
    answers = {"supervisor.readProcessStdoutLog": fault(Faults.NO_FILE, "NO_FILE")}
    assert CannedSession(answers).run("tail a") == ("a: ERROR (no log file)\n", 1)
    assert CannedSession({}).run("tail -x a") == ("Error: bad argument -x\n", 1)


def test_help_lists_every_command_in_columns() -> None:
    session = CannedSession({})
    do_help(session, "")
    assert isinstance(session.out, io.StringIO)
    text = session.out.getvalue()
    assert "default commands (type help <topic>):" in text
    for name in ("add", "avail", "clear", "fg", "maintail", "open", "version", "quit"):
        assert name in text
    assert CannedSession({}).run("help nope") == ("*** No help on nope\n", 0)


def test_every_command_has_help() -> None:
    from minder.ctl.commands import MODULES, lookup

    for name in MODULES:
        assert name in TOPICS
        assert lookup(name) is not None


def test_status_stopped_names_match_the_protocol() -> None:
    from minder.ctl.commands.status import STOPPED_STATE_NAMES
    from minder.protocol.states import STOPPED_STATES

    assert {state.name for state in STOPPED_STATES} == STOPPED_STATE_NAMES


def test_question_mark_is_help() -> None:
    out, code = CannedSession({}).run("? stop")
    assert out.startswith("stop <name>") and code == 0
