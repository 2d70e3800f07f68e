"""Every minderctl command against a real daemon: output text and exit codes."""

from __future__ import annotations

import json
import re
import xmlrpc.client
from collections.abc import Iterator

import pytest

from tests.support.daemons import RunningDaemon, wait_for

from .test_minderctl_support import DAEMON_KINDS, minderctl, rpc, start_daemon

STATUS_LINE = re.compile(r"^(\S+)\s+([A-Z]+)\s*(.*)$")


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param)


def states(output: str) -> dict[str, str]:
    found = {}
    for line in output.splitlines():
        match = STATUS_LINE.match(line)
        if match:
            found[match.group(1)] = match.group(2)
    return found


def stop(daemon: RunningDaemon, name: str) -> None:
    try:
        rpc(daemon, "stopProcess", name)
    except xmlrpc.client.Fault as fault:
        assert fault.faultCode == 70, fault  # NOT_RUNNING: already stopped


def running(daemon: RunningDaemon, *names: str) -> None:
    """Start whichever of ``names`` is not RUNNING (other tests stop and restart them)."""
    for name in names:
        if rpc(daemon, "getProcessInfo", name)["statename"] != "RUNNING":
            stop(daemon, name)  # e.g. STARTING or BACKOFF
            rpc(daemon, "startProcess", name)


def never_started(daemon: RunningDaemon, name: str) -> None:
    """Put program ``name`` (a group of its own) back to STOPPED "Not started", as at boot:
    other tests start and stop it, and only a fresh process has never run."""
    stop(daemon, name)
    rpc(daemon, "removeProcessGroup", name)
    assert rpc(daemon, "addProcessGroup", name) is True


def fresh_output(daemon: RunningDaemon, name: str) -> None:
    """Restart ``name`` on cleared logs, so they hold what it prints when it starts
    (whatever other tests cleared or wrote before)."""
    stop(daemon, name)
    assert rpc(daemon, "clearProcessLogs", name) is True
    assert rpc(daemon, "startProcess", name) is True


def test_status_all_lists_everything_and_exits_3_for_stopped(daemon: RunningDaemon) -> None:
    running(daemon, "a", "grp:c", "grp:d")
    never_started(daemon, "b")
    result = minderctl(daemon, "status")
    assert result.returncode == 3, result
    assert states(result.stdout) == {"a": "RUNNING", "b": "STOPPED", "grp:c": "RUNNING",
                                     "grp:d": "RUNNING"}
    line_a = result.stdout.splitlines()[0]
    assert re.fullmatch(r"a {32}RUNNING   pid \d+, uptime \d+:\d\d:\d\d", line_a)
    assert result.stdout.splitlines()[1] == "b" + " " * 32 + "STOPPED   Not started"


def test_status_of_running_names_exits_0(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "status", "a", "grp:*")
    assert result.returncode == 0
    assert list(states(result.stdout)) == ["a", "grp:c", "grp:d"]


def test_status_bad_name_exits_4(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "status", "nosuch", "zz:*")
    assert result.returncode == 4
    assert result.stdout == "nosuch: ERROR (no such process)\nzz: ERROR (no such group)\n"


def test_status_json(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "status", "--json")
    rows = json.loads(result.stdout)
    assert result.returncode == 3
    assert [r["namespec"] for r in rows] == ["a", "b", "grp:c", "grp:d"]
    a = rows[0]
    assert a["state"] == "RUNNING" and a["statecode"] == 20 and a["pid"] > 0
    assert isinstance(a["uptime"], int)
    assert rows[1]["uptime"] is None and rows[1]["pid"] == 0


def test_avail_text_and_json(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "avail")
    assert result.returncode == 0
    assert result.stdout.splitlines()[1] == "b" + " " * 32 + "in use    manual    999:999"
    rows = json.loads(minderctl(daemon, "avail", "--json").stdout)
    assert {r["namespec"]: r["autostart"] for r in rows} == {
        "a": True, "b": False, "grp:c": True, "grp:d": True}


def test_start_stop_cycle(daemon: RunningDaemon) -> None:
    assert minderctl(daemon, "start", "b").stdout == "b: started\n"
    again = minderctl(daemon, "start", "b")
    assert (again.stdout, again.returncode) == ("b: ERROR (already started)\n", 0)
    assert minderctl(daemon, "stop", "b").stdout == "b: stopped\n"
    again = minderctl(daemon, "stop", "b")
    assert (again.stdout, again.returncode) == ("b: ERROR (not running)\n", 0)


def test_start_errors(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "start")
    assert result.returncode == 2
    assert result.stdout.startswith("Error: start requires a process name\n")
    result = minderctl(daemon, "start", "nosuch", "zz:*")
    assert result.stdout == "nosuch: ERROR (no such process)\nzz: ERROR (no such group)\n"
    assert result.returncode == 2


def test_restart_group(daemon: RunningDaemon) -> None:
    before = rpc(daemon, "getProcessInfo", "grp:c")["pid"]
    result = minderctl(daemon, "restart", "grp:*")
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    # results arrive in completion order, so the order within each half may vary
    assert sorted(lines[:2]) == ["grp:c: stopped", "grp:d: stopped"]
    assert sorted(lines[2:]) == ["grp:c: started", "grp:d: started"]
    assert rpc(daemon, "getProcessInfo", "grp:c")["pid"] != before


def test_signal(daemon: RunningDaemon) -> None:
    assert minderctl(daemon, "signal", "CONT", "a").stdout == "a: signalled\n"
    result = minderctl(daemon, "signal", "HUP", "b")
    assert (result.stdout, result.returncode) == ("b: ERROR (not running)\n", 7)
    result = minderctl(daemon, "signal", "NOPE", "a")
    assert (result.stdout, result.returncode) == ("a: ERROR (bad signal name)\n", 1)


def test_pid(daemon: RunningDaemon) -> None:
    assert minderctl(daemon, "pid").stdout == f"{daemon.proc.pid}\n"
    pid_a = rpc(daemon, "getProcessInfo", "a")["pid"]
    assert minderctl(daemon, "pid", "a").stdout == f"{pid_a}\n"
    result = minderctl(daemon, "pid", "b")
    assert (result.stdout, result.returncode) == ("0\n", 7)
    assert len(minderctl(daemon, "pid", "all").stdout.split()) == 4
    assert minderctl(daemon, "pid", "x").stdout == "No such process x\n"


def test_tail_and_maintail(daemon: RunningDaemon) -> None:
    fresh_output(daemon, "a")
    fresh_output(daemon, "grp:d")
    wait_for(lambda: "hello from a" in rpc(daemon, "readProcessStdoutLog", "a", 0, 0),
             what="a to print its greeting")
    assert "hello from a" in minderctl(daemon, "tail", "a").stdout
    wait_for(lambda: "err of d" in minderctl(daemon, "tail", "grp:d", "stderr").stdout)
    tail5 = minderctl(daemon, "tail", "-5", "a").stdout
    assert tail5 == "om a\n\n"  # the last five bytes, then supervisorctl's extra newline
    result = minderctl(daemon, "tail", "nosuch")
    assert (result.stdout, result.returncode) == ("nosuch: ERROR (no such process name)\n", 1)
    result = minderctl(daemon, "tail", "a", "bogus")
    assert (result.stdout, result.returncode) == ("Error: bad channel 'bogus'\n", 1)
    main = minderctl(daemon, "maintail", "-200")
    assert main.returncode == 0 and main.stdout.strip()


def test_clear(daemon: RunningDaemon) -> None:
    assert minderctl(daemon, "clear", "grp:d").stdout == "grp:d: cleared\n"
    result = minderctl(daemon, "clear", "nosuch")
    assert (result.stdout, result.returncode) == ("nosuch: ERROR (no such process)\n", 1)


def test_version(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "version")
    assert result.returncode == 0
    assert result.stdout.strip() == rpc(daemon, "getSupervisorVersion")


def test_help_and_unknown(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "help")
    assert "default commands (type help <topic>):" in result.stdout
    assert minderctl(daemon, "help", "status").stdout.startswith("status <name>")
    result = minderctl(daemon, "bogus")
    assert (result.stdout, result.returncode) == ("*** Unknown syntax: bogus\n", 1)


def test_piped_stdin_runs_a_session(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, input="status a\nversion\n")
    assert result.returncode == 0
    assert result.stdout.count("supervisor> ") == 3
    assert "hello" not in result.stdout
    assert rpc(daemon, "getSupervisorVersion") in result.stdout


def test_one_keep_alive_connection_serves_many_calls(daemon: RunningDaemon) -> None:
    from minder.ctl.transport import Connection, RpcClient

    client = RpcClient(Connection(daemon.serverurl))
    try:
        assert client.call("supervisor.getVersion") == "3.0"
        first = client.connection.sock
        assert first is not None
        for _ in range(3):
            assert len(client.call("supervisor.getAllProcessInfo")) == 4
        assert client.connection.sock is first
    finally:
        client.close()


def test_output_into_a_closed_pipe_is_quiet(daemon: RunningDaemon) -> None:
    import os
    import subprocess

    from .test_minderctl_support import client_path

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before minderctl writes (`| head -0`)
    try:
        result = subprocess.run([client_path("minderctl"), "-c", str(daemon.conf), "status"],
                                stdout=write_end, stderr=subprocess.PIPE, text=True, timeout=30)
    finally:
        os.close(write_end)
    assert result.stderr == ""  # no BrokenPipeError traceback
