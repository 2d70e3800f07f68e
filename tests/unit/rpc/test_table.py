"""The method table: names, signatures, dispatch safety, guards, multicall."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import SupervisorState
from minder.rpc.table import RpcTable
from tests.fakes.engine import FakeEngine

# system.methodSignature of supervisord 4.3.0, observed on a live daemon.
UPSTREAM_SIGNATURES = {
    "supervisor.addProcessGroup": ["boolean", "string"],
    "supervisor.clearAllProcessLogs": ["array"],
    "supervisor.clearLog": ["boolean"],
    "supervisor.clearProcessLog": ["boolean", "string"],
    "supervisor.clearProcessLogs": ["boolean", "string"],
    "supervisor.getAPIVersion": ["string"],
    "supervisor.getAllConfigInfo": ["array"],
    "supervisor.getAllProcessInfo": ["array"],
    "supervisor.getIdentification": ["string"],
    "supervisor.getPID": ["int"],
    "supervisor.getProcessInfo": ["struct", "string"],
    "supervisor.getState": ["struct"],
    "supervisor.getSupervisorVersion": ["string"],
    "supervisor.getVersion": ["string"],
    "supervisor.readLog": ["string", "int", "int"],
    "supervisor.readMainLog": ["string", "int", "int"],
    "supervisor.readProcessLog": ["string", "string", "int", "int"],
    "supervisor.readProcessStderrLog": ["string", "string", "int", "int"],
    "supervisor.readProcessStdoutLog": ["string", "string", "int", "int"],
    "supervisor.reloadConfig": ["array"],
    "supervisor.removeProcessGroup": ["boolean", "string"],
    "supervisor.restart": ["boolean"],
    "supervisor.sendProcessStdin": ["boolean", "string", "string"],
    "supervisor.sendRemoteCommEvent": ["boolean", "string", "string"],
    "supervisor.shutdown": ["boolean"],
    "supervisor.signalAllProcesses": ["array", "string"],
    "supervisor.signalProcess": ["boolean", "string", "string"],
    "supervisor.signalProcessGroup": ["array", "string", "string"],
    "supervisor.startAllProcesses": ["array", "boolean"],
    "supervisor.startProcess": ["boolean", "string", "boolean"],
    "supervisor.startProcessGroup": ["array", "string", "boolean"],
    "supervisor.stopAllProcesses": ["array", "boolean"],
    "supervisor.stopProcess": ["boolean", "string", "boolean"],
    "supervisor.stopProcessGroup": ["array", "string", "boolean"],
    "supervisor.tailProcessLog": ["array", "string", "int", "int"],
    "supervisor.tailProcessStderrLog": ["array", "string", "int", "int"],
    "supervisor.tailProcessStdoutLog": ["array", "string", "int", "int"],
    "system.listMethods": ["array"],
    "system.methodHelp": ["string", "string"],
    "system.methodSignature": ["array", "string"],
    "system.multicall": ["array", "array"],
}

Call = Callable[..., Any]


def fault_of(call: Call, name: str, *params: Any) -> tuple[Faults, str]:
    with pytest.raises(SupervisorFault) as info:
        call(name, *params)
    return info.value.code, info.value.text


def test_list_methods_is_supervisords_41_names_sorted_plus_minders(call: Call) -> None:
    names = call("system.listMethods")
    assert names == sorted(names)
    assert [n for n in names if not n.startswith("minder.")] == sorted(UPSTREAM_SIGNATURES)
    assert [n for n in names if n.startswith("minder.")] == [
        "minder.getAllProcessInfoJSON", "minder.getAllProcessVitals", "minder.getProcessVitals",
        "minder.rollingRestart", "minder.updateProcessGroup"]


def test_minder_update_process_group(call: Call, engine: FakeEngine) -> None:
    assert call("system.methodSignature", "minder.updateProcessGroup") == ["struct", "string"]
    assert "@param string name" in call("system.methodHelp", "minder.updateProcessGroup")
    assert call("minder.updateProcessGroup", "g") == {
        "group": "g",
        "action": "updated",
        "restarted": ["g_01"],
        "added": [],
        "removed": [],
    }
    assert fault_of(call, "minder.updateProcessGroup", "nosuch") == (
        Faults.BAD_NAME,
        "BAD_NAME: nosuch",
    )
    assert fault_of(call, "minder.updateProcessGroup")[0] == Faults.INCORRECT_PARAMETERS
    engine.state = SupervisorState.SHUTDOWN
    assert fault_of(call, "minder.updateProcessGroup", "g") == (
        Faults.SHUTDOWN_STATE,
        "SHUTDOWN_STATE",
    )
    assert ("update_group", "g") in engine.calls


@pytest.mark.parametrize("name", sorted(UPSTREAM_SIGNATURES))
def test_signatures_match_supervisord(call: Call, name: str) -> None:
    assert call("system.methodSignature", name) == UPSTREAM_SIGNATURES[name]
    assert "@return" in call("system.methodHelp", name)


def test_help_and_signature_of_unknown_methods(call: Call) -> None:
    assert fault_of(call, "system.methodHelp", "nosuch") == (
        Faults.SIGNATURE_UNSUPPORTED,
        "SIGNATURE_UNSUPPORTED",
    )
    assert fault_of(call, "system.methodSignature", "x.y")[0] == Faults.SIGNATURE_UNSUPPORTED


@pytest.mark.parametrize(
    "name",
    [
        "supervisor.supervisord.options.warnings.linecache.os.system",
        "supervisor.supervisord",
        "supervisor._update",
        "supervisor.__init__",
        "supervisor.__class__",
        "_private",
        "supervisor",
        "supervisor.getPID.__call__",
        "system._table",
        "nosuch.method",
        "",
    ],
)
def test_anything_outside_the_table_is_unknown_method(call: Call, name: str) -> None:
    assert fault_of(call, name) == (Faults.UNKNOWN_METHOD, "UNKNOWN_METHOD")


def test_wrong_arity_is_incorrect_parameters(call: Call) -> None:
    assert fault_of(call, "supervisor.getProcessInfo")[0] == Faults.INCORRECT_PARAMETERS
    assert fault_of(call, "supervisor.startProcess", "a", True, 3)[0] == (
        Faults.INCORRECT_PARAMETERS
    )
    assert fault_of(call, "supervisor.getPID", 1)[0] == Faults.INCORRECT_PARAMETERS


@pytest.mark.parametrize("state", [SupervisorState.SHUTDOWN, SupervisorState.RESTARTING])
def test_supervisor_namespace_refuses_while_stopping(
    call: Call, engine: FakeEngine, state: SupervisorState
) -> None:
    engine.state = state
    for name, params in [
        ("supervisor.getState", ()),
        ("supervisor.shutdown", ()),
        ("supervisor.restart", ()),
        ("supervisor.startProcess", ("a",)),
        ("supervisor.getAllProcessInfo", ()),
    ]:
        assert fault_of(call, name, *params) == (Faults.SHUTDOWN_STATE, "SHUTDOWN_STATE")
    assert call("supervisor.sendRemoteCommEvent", "t", "d") is True
    assert "supervisor.getPID" in call("system.listMethods")


def test_multicall_returns_bare_values_and_fault_structs(call: Call) -> None:
    result = call(
        "system.multicall",
        [
            {"methodName": "supervisor.getState", "params": []},
            {"methodName": "supervisor.getPID"},
            {"methodName": "supervisor.getProcessInfo", "params": ["zz"]},
            {"methodName": "system.multicall", "params": [[]]},
            {"params": []},
            {"methodName": "supervisor._update", "params": []},
        ],
    )
    assert result == [
        {"statecode": 1, "statename": "RUNNING"},
        4242,
        {"faultCode": 10, "faultString": "BAD_NAME: zz"},
        {
            "faultCode": 2,
            "faultString": "INCORRECT_PARAMETERS: Recursive system.multicall forbidden",
        },
        {"faultCode": 2, "faultString": "INCORRECT_PARAMETERS: No methodName"},
        {"faultCode": 1, "faultString": "UNKNOWN_METHOD"},
    ]


def test_multicall_runs_state_changes_in_order(call: Call, engine: FakeEngine) -> None:
    result = call(
        "system.multicall",
        [
            {"methodName": "supervisor.startProcess", "params": ["a"]},
            {"methodName": "supervisor.stopProcess", "params": ["a"]},
        ],
    )
    assert result == [True, True]
    assert [c[0] for c in engine.calls] == ["start", "stop"]


def test_table_is_fixed_at_build_time(table: RpcTable) -> None:
    assert all(not part.startswith("_") for n in table.methods for part in n.split("."))
    assert len(table.methods) == 46  # supervisord's 41 and minder's 5


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("supervisor.getProcessInfo", (5,)),
        ("supervisor.startProcess", ([],)),
        ("supervisor.startProcessGroup", ({"a": 1},)),
        ("supervisor.readLog", ("0", 0)),
        ("supervisor.startProcess", ("a", "yes")),
        ("system.multicall", ("calls",)),
    ],
)
def test_wrongly_typed_parameters_are_incorrect_parameters(
    call: Call, name: str, params: tuple[Any, ...]
) -> None:
    assert fault_of(call, name, *params)[0] == Faults.INCORRECT_PARAMETERS
