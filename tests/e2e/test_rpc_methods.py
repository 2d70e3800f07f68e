"""Every supervisor.* and system.* method over the unix socket with xmlrpc.client,
against a real minderd: results, faults and the supervisord quirks we keep."""

from __future__ import annotations

import os
import re
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import Proxy, RunningDaemon, process_alive, run_daemon, wait_for

from .test_rpc_support import IGNORE_TERM, NOISY, fault, write_script

PROCESS_INFO_KEYS = {
    "name", "group", "start", "stop", "now", "state", "statename", "spawnerr",
    "exitstatus", "logfile", "stdout_logfile", "stderr_logfile", "pid", "description",
}  # fmt: skip


def programs(workdir: Path) -> str:
    return f"""
[program:a]
command=/bin/sleep 1000
startsecs=0
stopwaitsecs=5

[program:cat]
command=/bin/cat
startsecs=0

[program:noisy]
command={write_script(workdir, "noisy.py", NOISY)}
startsecs=0

[program:fail]
command=/bin/sh -c 'exit 3'
autostart=false
startsecs=1
startretries=0

[program:missing]
command=/nonexistent/cmd
autostart=false

[program:big]
command=/bin/sleep 1000
autostart=false
stdout_logfile_maxbytes=3GB

[program:g]
command=/bin/sleep 1000
numprocs=2
process_name=%(program_name)s_%(process_num)02d
startsecs=0
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    workdir = tmp_path_factory.mktemp("rpc")
    with run_daemon(workdir, programs(workdir)) as running:
        with running.rpc() as proxy:
            wait_for(
                lambda: all(
                    i["statename"] == "RUNNING"
                    for i in proxy.supervisor.getAllProcessInfo()
                    if i["name"] in ("a", "cat", "noisy", "g_00", "g_01")
                ),
                timeout=20,
                what="autostart programs RUNNING",
            )
        yield running


@pytest.fixture
def rpc(daemon: RunningDaemon) -> Iterator[Proxy]:
    with daemon.rpc() as proxy:
        yield proxy


def stopped(rpc: Proxy, name: str) -> None:
    if rpc.supervisor.getProcessInfo(name)["statename"] in ("STARTING", "RUNNING", "BACKOFF"):
        assert rpc.supervisor.stopProcess(name) is True


def running(rpc: Proxy, name: str) -> None:
    """Start ``name`` unless it is RUNNING (other tests stop and restart programs)."""
    if rpc.supervisor.getProcessInfo(name)["statename"] != "RUNNING":
        stopped(rpc, name)
        assert rpc.supervisor.startProcess(name) is True


def never_started(rpc: Proxy, name: str) -> None:
    """Make program ``name`` (a group of its own) STOPPED "Not started" again, as at boot:
    other tests start and stop it, and only a freshly added process has never run."""
    stopped(rpc, name)
    assert rpc.supervisor.removeProcessGroup(name) is True
    assert rpc.supervisor.addProcessGroup(name) is True


def test_identity_methods(rpc: Proxy, daemon: RunningDaemon) -> None:
    s = rpc.supervisor
    assert s.getAPIVersion() == "3.0"
    assert s.getVersion() == "3.0"
    assert s.getSupervisorVersion() == "4.3.0"
    assert s.getIdentification() == "testsuper"
    assert s.getState() == {"statecode": 1, "statename": "RUNNING"}
    assert s.getPID() == daemon.proc.pid


def test_introspection(rpc: Proxy) -> None:
    names = rpc.system.listMethods()
    assert len(names) == 46 and names == sorted(names)  # supervisord's 41 + minder.*
    assert [n for n in names if n.startswith("minder.")] == [
        "minder.getAllProcessInfoJSON", "minder.getAllProcessVitals", "minder.getProcessVitals",
        "minder.rollingRestart", "minder.updateProcessGroup"]
    assert rpc.system.methodSignature("supervisor.startProcess") == [
        "boolean",
        "string",
        "boolean",
    ]
    assert "@param string name" in rpc.system.methodHelp("supervisor.startProcess")
    assert fault(rpc.system.methodHelp, "nosuch") == (4, "SIGNATURE_UNSUPPORTED")


def test_process_info(rpc: Proxy) -> None:
    running(rpc, "a")
    never_started(rpc, "big")
    info = rpc.supervisor.getProcessInfo("a")
    assert set(info) == PROCESS_INFO_KEYS
    assert info["statename"] == "RUNNING" and info["state"] == 20
    assert process_alive(info["pid"])
    assert re.fullmatch(rf"pid {info['pid']}, uptime \d+:\d\d:\d\d", info["description"])
    assert info["logfile"] == info["stdout_logfile"] != ""
    assert rpc.supervisor.getProcessInfo("g:g_01")["group"] == "g"
    never = rpc.supervisor.getProcessInfo("big")
    assert (never["statename"], never["description"], never["pid"]) == (
        "STOPPED",
        "Not started",
        0,
    )
    assert fault(rpc.supervisor.getProcessInfo, "g:*") == (10, "BAD_NAME: g:*")
    assert fault(rpc.supervisor.getProcessInfo, "nosuch") == (10, "BAD_NAME: nosuch")
    assert fault(rpc.supervisor.getProcessInfo) == (2, "INCORRECT_PARAMETERS")


def test_all_process_info_sorted_by_group_then_name(rpc: Proxy) -> None:
    infos = rpc.supervisor.getAllProcessInfo()
    keys = [(i["group"], i["name"]) for i in infos]
    assert keys == sorted(keys)
    assert ("g", "g_00") in keys and len(keys) == 8


def test_config_info_answers_ints_over_2_31(rpc: Proxy) -> None:
    infos = {i["name"]: i for i in rpc.supervisor.getAllConfigInfo()}
    assert [i for i in infos] == sorted(infos)
    assert infos["big"]["stdout_logfile_maxbytes"] == 3 * 1024**3
    assert infos["a"]["directory"] == "none" and infos["a"]["uid"] == "none"
    assert infos["a"]["inuse"] is True and infos["g_00"]["group"] == "g"
    assert infos["a"]["stopsignal"] == int(signal.SIGTERM)


def test_stop_and_start_wait_for_the_state(rpc: Proxy) -> None:
    pid = rpc.supervisor.getProcessInfo("a")["pid"]
    assert rpc.supervisor.stopProcess("a") is True
    assert rpc.supervisor.getProcessInfo("a")["statename"] == "STOPPED"
    assert not process_alive(pid)
    assert fault(rpc.supervisor.stopProcess, "a") == (70, "NOT_RUNNING: a")
    assert rpc.supervisor.startProcess("a") is True
    assert rpc.supervisor.getProcessInfo("a")["statename"] == "RUNNING"
    assert fault(rpc.supervisor.startProcess, "a") == (60, "ALREADY_STARTED: a")
    assert fault(rpc.supervisor.startProcess, "nosuch") == (10, "BAD_NAME: nosuch")


def test_start_without_wait_returns_at_once(rpc: Proxy) -> None:
    assert rpc.supervisor.startProcess("big", False) is True
    wait_for(lambda: rpc.supervisor.getProcessInfo("big")["statename"] == "RUNNING")
    assert rpc.supervisor.stopProcess("big", False) is True
    wait_for(lambda: rpc.supervisor.getProcessInfo("big")["statename"] == "STOPPED")


def test_spawn_failures_are_faults(rpc: Proxy) -> None:
    code, text = fault(rpc.supervisor.startProcess, "fail")
    assert (code, text) in {(50, "SPAWN_ERROR: fail"), (40, "ABNORMAL_TERMINATION: fail")}
    code, _ = fault(rpc.supervisor.startProcess, "missing")
    assert code == 20  # NO_FILE, found before anything is spawned
    assert rpc.supervisor.getProcessInfo("missing")["statename"] == "STOPPED"


def test_group_operations_return_result_structs(rpc: Proxy) -> None:
    stopped = rpc.supervisor.stopProcessGroup("g")
    assert sorted(r["name"] for r in stopped) == ["g_00", "g_01"]
    assert all(r["status"] == 80 and r["description"] == "OK" for r in stopped)
    assert rpc.supervisor.stopProcess("g:*") == []
    started = rpc.supervisor.startProcess("g:*")
    assert sorted(r["name"] for r in started) == ["g_00", "g_01"]
    assert rpc.supervisor.startProcessGroup("g") == []
    assert fault(rpc.supervisor.startProcessGroup, "nosuch") == (10, "BAD_NAME: nosuch")
    assert fault(rpc.supervisor.startProcess, "nosuch:*") == (10, "BAD_NAME: nosuch:*")


def test_signals(rpc: Proxy) -> None:
    assert rpc.supervisor.signalProcess("a", "CONT") is True
    assert rpc.supervisor.signalProcess("a", "SIGCONT") is True
    assert fault(rpc.supervisor.signalProcess, "a", "NOSUCHSIG") == (11, "BAD_SIGNAL: NOSUCHSIG")
    assert fault(rpc.supervisor.signalProcess, "big", "HUP") == (70, "NOT_RUNNING: big")
    results = rpc.supervisor.signalProcessGroup("g", "CONT")
    assert sorted(r["name"] for r in results) == ["g_00", "g_01"]
    assert all(r["status"] == 80 for r in results)
    everything = rpc.supervisor.signalAllProcesses("18")  # SIGCONT by number
    assert {r["name"] for r in everything} >= {"a", "cat", "noisy", "g_00", "g_01"}


def test_logs_with_binary_and_control_bytes(rpc: Proxy) -> None:
    # One run's output, read from where the log ended before it. Clearing cannot
    # give a clean start here: on a stopped process clearProcessLogs is a no-op
    # (supervisord clears through live dispatchers only), and whether the previous
    # run had written before it was stopped depends on the machine's load.
    stopped(rpc, "noisy")
    assert rpc.supervisor.clearProcessLogs("noisy") is True
    base = rpc.supervisor.tailProcessStdoutLog("noisy", 0, 0)[1]
    assert rpc.supervisor.startProcess("noisy") is True
    text = wait_for(lambda: rpc.supervisor.readProcessStdoutLog("noisy", base, 0))
    assert text == "ok\ufffd\ufffd\ufffd[31mred\r\n"
    assert rpc.supervisor.readProcessLog("noisy", -5, 0) == "red\r\n"
    data, offset, overflow = rpc.supervisor.tailProcessStdoutLog("noisy", 0, 3)
    assert (data, overflow) == ("d\r\n", True)
    assert offset == base + len(b"ok\xff\x00\x1b[31mred\r\n")
    assert rpc.supervisor.tailProcessLog("noisy", offset, 100) == ["", offset, False]
    assert rpc.supervisor.readProcessStderrLog("noisy", 0, 0) == ""
    assert fault(rpc.supervisor.readProcessStdoutLog, "noisy", -1, 5) == (3, "BAD_ARGUMENTS")
    assert fault(rpc.supervisor.readProcessStdoutLog, "nosuch", 0, 0) == (10, "BAD_NAME: nosuch")


def test_stdin_reaches_the_process_and_logs_clear(rpc: Proxy) -> None:
    assert rpc.supervisor.sendProcessStdin("cat", "hello through stdin\n") is True
    wait_for(lambda: "hello through stdin" in rpc.supervisor.readProcessStdoutLog("cat", 0, 0))
    assert fault(rpc.supervisor.sendProcessStdin, "big", "x") == (70, "NOT_RUNNING: big")
    assert fault(rpc.supervisor.sendProcessStdin, "cat", 5) == (2, "INCORRECT_PARAMETERS: 5")
    assert rpc.supervisor.clearProcessLogs("cat") is True
    assert rpc.supervisor.readProcessStdoutLog("cat", 0, 0) == ""
    assert rpc.supervisor.clearProcessLog("cat") is True
    results = rpc.supervisor.clearAllProcessLogs()
    assert {r["name"] for r in results} >= {"a", "cat"}


def test_main_log(rpc: Proxy, daemon: RunningDaemon) -> None:
    text = rpc.supervisor.readLog(0, 0)
    assert "spawned: 'a'" in text
    assert len(rpc.supervisor.readMainLog(-10, 0).encode()) == 10
    assert fault(rpc.supervisor.readLog, -1, 1) == (3, "BAD_ARGUMENTS")


def test_config_reload_and_groups(rpc: Proxy) -> None:
    assert rpc.supervisor.reloadConfig() == [[[], [], []]]
    assert fault(rpc.supervisor.addProcessGroup, "a") == (90, "ALREADY_ADDED: a")
    assert fault(rpc.supervisor.addProcessGroup, "zz") == (10, "BAD_NAME: zz")
    assert fault(rpc.supervisor.removeProcessGroup, "a") == (91, "STILL_RUNNING: a")
    assert fault(rpc.supervisor.removeProcessGroup, "zz") == (10, "BAD_NAME: zz")
    assert rpc.supervisor.sendRemoteCommEvent("mytype", "payload") is True


def test_multicall_returns_bare_values(
    rpc: Proxy, daemon: RunningDaemon
) -> None:
    results = rpc.system.multicall(
        [
            {"methodName": "supervisor.getPID", "params": []},
            {"methodName": "supervisor.getProcessInfo", "params": ["zz"]},
            {"methodName": "system.multicall", "params": [[]]},
            {"methodName": "supervisor.supervisord.options", "params": []},
        ]
    )
    assert results == [
        daemon.proc.pid,
        {"faultCode": 10, "faultString": "BAD_NAME: zz"},
        {
            "faultCode": 2,
            "faultString": "INCORRECT_PARAMETERS: Recursive system.multicall forbidden",
        },
        {"faultCode": 1, "faultString": "UNKNOWN_METHOD"},
    ]


def test_shutdown_refuses_calls_while_stopping(tmp_path: Path) -> None:
    body = f"""
[program:stubborn]
command={write_script(tmp_path, "stubborn.py", IGNORE_TERM)}
startsecs=0
stopwaitsecs=30
"""
    with run_daemon(tmp_path, body) as running, running.rpc() as proxy:
        wait_for(lambda: "ignoring" in proxy.supervisor.readProcessStdoutLog("stubborn", 0, 0))
        pid = proxy.supervisor.getProcessInfo("stubborn")["pid"]
        assert proxy.supervisor.shutdown() is True
        assert fault(proxy.supervisor.getState) == (6, "SHUTDOWN_STATE")
        assert fault(proxy.supervisor.shutdown) == (6, "SHUTDOWN_STATE")
        assert proxy.supervisor.sendRemoteCommEvent("t", "d") is True
        os.kill(pid, signal.SIGKILL)
        running.proc.wait(30)
        assert not running.socket_path.exists()


def test_huge_logs_are_never_read_whole(rpc: Proxy) -> None:
    path = rpc.supervisor.getProcessInfo("big")["stdout_logfile"]
    with open(path, "ab") as log:
        log.write(b"x" * (20 * 1024 * 1024) + b"THE END\n")
    code, text = fault(rpc.supervisor.readProcessStdoutLog, "big", 0, 0)
    assert code == 30 and "read it in pieces" in text
    assert rpc.supervisor.readProcessStdoutLog("big", -8, 0) == "THE END\n"
    assert rpc.supervisor.readProcessStdoutLog("big", 5, 10) == "x" * 10
    data, offset, overflow = rpc.supervisor.tailProcessStdoutLog("big", 0, 100)
    assert overflow and data == "x" * 92 + "THE END\n"
    assert offset == os.path.getsize(path)
