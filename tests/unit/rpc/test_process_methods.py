"""supervisor.* process and daemon methods against the fake engine."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import ProcessState
from tests.fakes.engine import NOW, FakeEngine

Call = Callable[..., Any]

PROCESS_INFO_KEYS = {
    "name", "group", "start", "stop", "now", "state", "statename", "spawnerr",
    "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid", "description",
}  # fmt: skip


def fault_of(call: Call, name: str, *params: Any) -> tuple[Faults, str]:
    with pytest.raises(SupervisorFault) as info:
        call(name, *params)
    return info.value.code, info.value.text


def test_daemon_identity(call: Call) -> None:
    assert call("supervisor.getAPIVersion") == "3.0"
    assert call("supervisor.getVersion") == "3.0"
    assert call("supervisor.getSupervisorVersion") == "4.3.0"
    assert call("supervisor.getIdentification") == "fakesuper"
    assert call("supervisor.getState") == {"statecode": 1, "statename": "RUNNING"}
    assert call("supervisor.getPID") == 4242


def test_process_info_has_every_key_and_descriptions(call: Call, engine: FakeEngine) -> None:
    info = call("supervisor.getProcessInfo", "a")
    assert set(info) == PROCESS_INFO_KEYS
    assert (info["statename"], info["description"]) == ("STOPPED", "Not started")
    call("supervisor.startProcess", "a")
    info = call("supervisor.getProcessInfo", "a")
    assert info["description"] == f"pid {info['pid']}, uptime 0:01:05"
    assert info["state"] == 20
    call("supervisor.stopProcess", "a")
    expected = time.strftime("%b %d %I:%M %p", time.localtime(NOW + 60))
    assert call("supervisor.getProcessInfo", "a")["description"] == expected
    proc = engine.processes[("g", "g_00")]
    proc.state = ProcessState.FATAL
    assert call("supervisor.getProcessInfo", "g:g_00")["description"] == (
        'unknown error (try "tail g_00")'
    )
    proc.spawnerr = "Exited too quickly (process log may have details)"
    assert call("supervisor.getProcessInfo", "g:g_00")["description"] == proc.spawnerr


def test_names_and_bad_names(call: Call) -> None:
    assert fault_of(call, "supervisor.getProcessInfo", "g:*") == (
        Faults.BAD_NAME,
        "BAD_NAME: g:*",
    )
    assert fault_of(call, "supervisor.getProcessInfo", "nosuch")[1] == "BAD_NAME: nosuch"
    assert fault_of(call, "supervisor.startProcess", "g:nosuch")[1] == "BAD_NAME: g:nosuch"
    assert fault_of(call, "supervisor.startProcess", "nosuch:*")[1] == "BAD_NAME: nosuch:*"
    assert fault_of(call, "supervisor.startProcessGroup", "nosuch")[1] == "BAD_NAME: nosuch"


def test_all_process_info_is_sorted(call: Call) -> None:
    infos = call("supervisor.getAllProcessInfo")
    assert [(i["group"], i["name"]) for i in infos] == [("a", "a"), ("g", "g_00"), ("g", "g_01")]


def test_start_and_stop_checks(call: Call, engine: FakeEngine) -> None:
    assert call("supervisor.startProcess", "a", False) is True
    assert engine.calls[-1] == ("start", "a", "a", False)
    assert fault_of(call, "supervisor.startProcess", "a") == (
        Faults.ALREADY_STARTED,
        "ALREADY_STARTED: a",
    )
    assert call("supervisor.stopProcess", "a") is True
    assert fault_of(call, "supervisor.stopProcess", "a") == (Faults.NOT_RUNNING, "NOT_RUNNING: a")


def test_engine_faults_carry_the_callers_name(call: Call, engine: FakeEngine) -> None:
    engine.processes[("g", "g_00")].fail_start = "Exited too quickly (process log may have details)"
    assert fault_of(call, "supervisor.startProcess", "g:g_00") == (
        Faults.SPAWN_ERROR,
        "SPAWN_ERROR: g:g_00",
    )


def test_group_forms_return_result_arrays(call: Call, engine: FakeEngine) -> None:
    engine.processes[("g", "g_01")].fail_start = "Exited too quickly (process log may have details)"
    results = call("supervisor.startProcess", "g:*")
    assert results == [
        {"name": "g_00", "group": "g", "status": 80, "description": "OK"},
        {"name": "g_01", "group": "g", "status": 50, "description": "SPAWN_ERROR: g:g_01"},
    ]
    assert call("supervisor.startProcessGroup", "g") == [
        {"name": "g_01", "group": "g", "status": 50, "description": "SPAWN_ERROR: g:g_01"}
    ]
    assert call("supervisor.stopProcess", "g:") == [
        {"name": "g_00", "group": "g", "status": 80, "description": "OK"}
    ]
    assert call("supervisor.stopProcessGroup", "g") == []


def test_all_processes(call: Call, engine: FakeEngine) -> None:
    assert [r["name"] for r in call("supervisor.startAllProcesses")] == ["a", "g_00", "g_01"]
    assert [r["name"] for r in call("supervisor.stopAllProcesses")] == ["g_01", "g_00", "a"]
    assert call("supervisor.stopAllProcesses") == []


@pytest.mark.parametrize(("given", "number"), [("HUP", 1), ("SIGHUP", 1), ("hup", 1), ("9", 9)])
def test_signals_by_name_or_number(call: Call, engine: FakeEngine, given: str, number: int) -> None:
    call("supervisor.startProcess", "a")
    assert call("supervisor.signalProcess", "a", given) is True
    assert engine.calls[-1] == ("signal", "a", "a", number)


def test_signal_faults(call: Call) -> None:
    call("supervisor.startProcess", "a")
    assert fault_of(call, "supervisor.signalProcess", "a", "FOO") == (
        Faults.BAD_SIGNAL,
        "BAD_SIGNAL: FOO",
    )
    assert fault_of(call, "supervisor.signalProcess", "a", "999")[0] == Faults.BAD_SIGNAL
    assert fault_of(call, "supervisor.signalProcess", "g:g_00", "HUP") == (
        Faults.NOT_RUNNING,
        "NOT_RUNNING: g:g_00",
    )
    assert call("supervisor.signalProcessGroup", "g", "HUP") == []
    assert call("supervisor.signalAllProcesses", "FOO") == [
        {"name": "a", "group": "a", "status": 11, "description": "BAD_SIGNAL: FOO"}
    ]


def test_process_logs(call: Call, engine: FakeEngine, tmp_path: Path) -> None:
    log = tmp_path / "a.log"
    log.write_bytes(b"0123456789" + b"\xff\x00end")
    engine.processes[("a", "a")].stdout_logfile = str(log)
    assert call("supervisor.readProcessStdoutLog", "a", 0, 4) == "0123"
    assert call("supervisor.readProcessLog", "a", -3, 0) == "end"
    assert call("supervisor.readProcessStdoutLog", "a", 10, 0) == "\ufffd\x00end"
    assert fault_of(call, "supervisor.readProcessStdoutLog", "a", -1, 5)[0] == (
        Faults.BAD_ARGUMENTS
    )
    assert fault_of(call, "supervisor.readProcessStdoutLog", "a", 0, -1)[0] == (
        Faults.BAD_ARGUMENTS
    )
    assert fault_of(call, "supervisor.readProcessStderrLog", "a", 0, 0)[0] == Faults.NO_FILE
    assert call("supervisor.tailProcessStdoutLog", "a", 0, 5) == ["\ufffd\x00end", 15, True]
    assert call("supervisor.tailProcessLog", "a", 15, 5) == ["", 15, False]
    assert call("supervisor.tailProcessStderrLog", "a", 0, 5) == ["", 0, False]
    assert call("supervisor.clearProcessLogs", "a") is True
    assert call("supervisor.clearProcessLog", "a") is True
    assert fault_of(call, "supervisor.clearProcessLogs", "nosuch")[0] == Faults.BAD_NAME
    assert len(call("supervisor.clearAllProcessLogs")) == 3


def test_main_log(call: Call, engine: FakeEngine, tmp_path: Path) -> None:
    assert fault_of(call, "supervisor.readLog", 0, 0)[0] == Faults.NO_FILE
    log = tmp_path / "main.log"
    log.write_bytes(b"hello main log\n")
    engine.main_log = str(log)
    assert call("supervisor.readLog", 0, 5) == "hello"
    assert call("supervisor.readMainLog", -4, 0) == "log\n"
    assert call("supervisor.clearLog") is True
    assert log.read_bytes() == b""


def test_send_stdin(call: Call, engine: FakeEngine) -> None:
    assert fault_of(call, "supervisor.sendProcessStdin", "a", 5) == (
        Faults.INCORRECT_PARAMETERS,
        "INCORRECT_PARAMETERS: 5",
    )
    assert fault_of(call, "supervisor.sendProcessStdin", "a", "x")[1] == "NOT_RUNNING: a"
    call("supervisor.startProcess", "a")
    assert call("supervisor.sendProcessStdin", "a", "é\n") is True
    assert engine.calls[-1] == ("stdin", "a", "a", "é\n".encode())
    assert call("supervisor.sendProcessStdin", "a", b"\x00\xff") is True


def test_config_and_groups(call: Call, engine: FakeEngine) -> None:
    assert call("supervisor.reloadConfig") == [[["new"], ["g"], []]]
    infos = call("supervisor.getAllConfigInfo")
    assert [i["name"] for i in infos] == ["a", "g_00", "g_01"]
    first = infos[0]
    assert (first["directory"], first["uid"], first["serverurl"]) == ("none", "none", "none")
    assert (first["stdout_logfile"], first["stderr_logfile"]) == ("auto", "auto")
    assert first["group_prio"] == 5 and first["stopsignal"] == 15
    assert "autorestart" not in first
    assert fault_of(call, "supervisor.addProcessGroup", "g")[1] == "ALREADY_ADDED: g"
    assert fault_of(call, "supervisor.addProcessGroup", "zz")[1] == "BAD_NAME: zz"
    call("supervisor.startProcess", "a")
    assert fault_of(call, "supervisor.removeProcessGroup", "a")[1] == "STILL_RUNNING: a"
    assert call("supervisor.removeProcessGroup", "g") is True


def test_remote_comm_event_and_shutdown(call: Call, engine: FakeEngine) -> None:
    assert call("supervisor.sendRemoteCommEvent", "type", "data") is True
    assert engine.remote_events == [("type", "data")]
    assert call("supervisor.shutdown") is True
    assert engine.calls[-1] == ("shutdown",)


def test_all_process_info_as_json_is_the_same_array(call: Call, engine: FakeEngine) -> None:
    """minder.getAllProcessInfoJSON: getAllProcessInfo's structs, in order, as the
    XML answer would carry them (a character XML cannot hold becomes U+FFFD)."""
    import json

    from minder.rpc.xmlcodec import xml_safe

    call("supervisor.startProcess", "a")
    engine.processes[("g", "g_00")].state = ProcessState.FATAL
    engine.processes[("g", "g_00")].spawnerr = "bad \x01 thing \\b é \ud800"
    infos = call("supervisor.getAllProcessInfo")
    from_json = json.loads(call("minder.getAllProcessInfoJSON"))
    assert [list(i) for i in from_json] == [list(i) for i in infos]
    assert from_json == [
        {k: xml_safe(v) if isinstance(v, str) else v for k, v in i.items()} for i in infos
    ]
    assert "bad \ufffd thing \\b é \ufffd" in [i["spawnerr"] for i in from_json]
