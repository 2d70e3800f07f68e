"""The upstream supervisorctl (from supervisor 4.3.0) driving minderd:
every command's output and exit code, as supervisorctl users see them."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import VENV_BIN, RunningDaemon, process_alive, run_daemon, wait_for

PROGRAMS = """
[program:a]
command=/bin/sh -c 'echo hello from a; exec cat'
startsecs=0
stopwaitsecs=5

[program:b]
command=/bin/sleep 1000
autostart=false
startsecs=0

[group:grp]
programs=c,d

[program:c]
command=/bin/sleep 1000
startsecs=0

[program:d]
command=/bin/sh -c 'echo err of d >&2; exec sleep 1000'
startsecs=0
"""

STATUS_LINE = re.compile(r"^(\S+)\s+([A-Z]+)\s*(.*)$")


def ctl(daemon: RunningDaemon, *args: str) -> subprocess.CompletedProcess[str]:
    return daemon.ctl(*args, client="supervisorctl")


def states(output: str) -> dict[str, str]:
    return {
        m.group(1): m.group(2)
        for m in (STATUS_LINE.match(line) for line in output.splitlines())
        if m
    }


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    with run_daemon(tmp_path_factory.mktemp("ctl"), PROGRAMS) as running:
        wait_for(
            lambda: states(ctl(running, "status").stdout)
            == {"a": "RUNNING", "b": "STOPPED", "grp:c": "RUNNING", "grp:d": "RUNNING"},
            timeout=20,
            what="autostart programs RUNNING",
        )
        yield running


def boot_state(daemon: RunningDaemon) -> None:
    """a, grp:c and grp:d RUNNING and b never started, as the daemon boots them:
    other tests stop, start and restart programs on this shared daemon."""
    with daemon.rpc() as proxy:
        s = proxy.supervisor
        for name in ("a", "grp:c", "grp:d"):
            state = s.getProcessInfo(name)["statename"]
            if state != "RUNNING":
                if state in ("STARTING", "BACKOFF"):
                    assert s.stopProcess(name) is True
                assert s.startProcess(name) is True
        if s.getProcessInfo("b")["statename"] in ("STARTING", "RUNNING", "BACKOFF"):
            assert s.stopProcess("b") is True
        # only a freshly added process says "Not started"
        assert s.removeProcessGroup("b") is True
        assert s.addProcessGroup("b") is True


def test_status(daemon: RunningDaemon) -> None:
    boot_state(daemon)
    result = ctl(daemon, "status")
    assert result.returncode == 3  # b is STOPPED
    lines = result.stdout.splitlines()
    assert re.fullmatch(r"a {32}RUNNING   pid \d+, uptime \d+:\d\d:\d\d", lines[0])
    assert lines[1] == "b" + " " * 32 + "STOPPED   Not started"
    assert [line.split()[0] for line in lines] == ["a", "b", "grp:c", "grp:d"]
    running = ctl(daemon, "status", "a", "grp:*")
    assert (running.returncode, list(states(running.stdout))) == (0, ["a", "grp:c", "grp:d"])
    bad = ctl(daemon, "status", "nosuch", "zz:*")
    assert (bad.returncode, bad.stdout) == (
        4,
        "nosuch: ERROR (no such process)\nzz: ERROR (no such group)\n",
    )


def test_start_stop_restart(daemon: RunningDaemon) -> None:
    assert (ctl(daemon, "start", "b").stdout, ctl(daemon, "start", "b").stdout) == (
        "b: started\n",
        "b: ERROR (already started)\n",
    )
    stopped = ctl(daemon, "stop", "b")
    assert (stopped.returncode, stopped.stdout) == (0, "b: stopped\n")
    assert ctl(daemon, "stop", "b").stdout == "b: ERROR (not running)\n"
    missing = ctl(daemon, "start", "nosuch")
    assert (missing.returncode, missing.stdout) == (1, "nosuch: ERROR (no such process)\n")
    assert ctl(daemon, "start", "nogroup:*").returncode == 2
    restarted = ctl(daemon, "restart", "grp:*")
    assert restarted.returncode == 0
    assert sorted(restarted.stdout.splitlines()) == sorted(
        ["grp:c: stopped", "grp:d: stopped", "grp:c: started", "grp:d: started"]
    )
    assert restarted.stdout.index("stopped") < restarted.stdout.index("started")


def test_stop_all_and_start_all(daemon: RunningDaemon) -> None:
    stopped = ctl(daemon, "stop", "all")
    assert sorted(stopped.stdout.splitlines()) == ["a: stopped", "grp:c: stopped", "grp:d: stopped"]
    assert set(states(ctl(daemon, "status").stdout).values()) == {"STOPPED"}
    started = ctl(daemon, "start", "all")
    assert sorted(started.stdout.splitlines()) == [
        "a: started",
        "b: started",
        "grp:c: started",
        "grp:d: started",
    ]
    assert ctl(daemon, "stop", "b").stdout == "b: stopped\n"


def test_pid(daemon: RunningDaemon) -> None:
    assert ctl(daemon, "pid").stdout == f"{daemon.proc.pid}\n"
    pid_a = int(ctl(daemon, "pid", "a").stdout)
    assert process_alive(pid_a)
    stopped = ctl(daemon, "pid", "b")
    assert (stopped.returncode, stopped.stdout) == (7, "0\n")
    assert ctl(daemon, "pid", "nosuch").stdout == "No such process nosuch\n"
    assert len(ctl(daemon, "pid", "all").stdout.splitlines()) == 4


def test_signal(daemon: RunningDaemon) -> None:
    assert ctl(daemon, "signal", "CONT", "a").stdout == "a: signalled\n"
    assert ctl(daemon, "signal", "BOGUS", "a").stdout == "a: ERROR (bad signal name)\n"
    assert ctl(daemon, "signal", "HUP", "b").stdout == "b: ERROR (not running)\n"
    assert sorted(ctl(daemon, "signal", "CONT", "grp:*").stdout.splitlines()) == [
        "grp:c: signalled",
        "grp:d: signalled",
    ]


def test_tail_and_clear(daemon: RunningDaemon) -> None:
    with daemon.rpc() as proxy:
        proxy.supervisor.sendProcessStdin("a", "second line\n")
    wait_for(lambda: "second line" in ctl(daemon, "tail", "a").stdout)
    assert ctl(daemon, "tail", "a").stdout.endswith("second line\n\n")
    assert "err of d" in ctl(daemon, "tail", "grp:d", "stderr").stdout
    assert ctl(daemon, "tail", "-5", "a").stdout == "line\n\n"
    assert ctl(daemon, "tail", "a", "bogus").stdout == "Error: bad channel 'bogus'\n"
    assert ctl(daemon, "tail", "nosuch").stdout == "nosuch: ERROR (no such process name)\n"
    assert ctl(daemon, "clear", "a").stdout == "a: cleared\n"
    assert ctl(daemon, "tail", "a").stdout == "\n"
    assert ctl(daemon, "clear", "nosuch").stdout == "nosuch: ERROR (no such process)\n"


def test_tail_follow_streams_until_killed(daemon: RunningDaemon) -> None:
    follower = subprocess.Popen(
        [str(VENV_BIN / "supervisorctl"), "-c", str(daemon.conf), "tail", "-f", "a"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        assert follower.stdout is not None
        assert follower.stdout.readline() == b"==> Press Ctrl-C to exit <==\n"
        with daemon.rpc() as proxy:
            proxy.supervisor.sendProcessStdin("a", "followed one\nfollowed two\n")
        seen = b""
        deadline = time.monotonic() + 20
        while b"followed two\n" not in seen:
            assert time.monotonic() < deadline, seen
            seen += follower.stdout.readline()
        assert b"followed one\n" in seen
    finally:
        os.kill(follower.pid, signal.SIGKILL)
        follower.wait(10)
        if follower.stdout:
            follower.stdout.close()


def test_maintail_version_avail(daemon: RunningDaemon) -> None:
    main = ctl(daemon, "maintail")
    assert main.returncode == 0 and "spawned: 'a'" in main.stdout
    assert ctl(daemon, "maintail", "-20").stdout.endswith("\n\n")
    assert ctl(daemon, "version").stdout == "4.3.0\n"
    avail = ctl(daemon, "avail").stdout.splitlines()
    assert avail[0] == f"{'a':<32} {'in use':<9} {'auto':<9} 999:999"
    assert avail[1].startswith("b ") and "manual" in avail[1]
    assert [line.split()[0] for line in avail] == ["a", "b", "grp:c", "grp:d"]


def test_reread_update_reload_and_shutdown(tmp_path: Path) -> None:
    with run_daemon(tmp_path, PROGRAMS) as running:
        assert ctl(running, "reread").stdout == "No config updates to processes\n"
        with running.conf.open("a") as conf:
            conf.write("\n[program:e]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        assert ctl(running, "reread").stdout == "e: available\n"
        assert ctl(running, "update").stdout == "e: added process group\n"
        wait_for(lambda: states(ctl(running, "status", "e").stdout) == {"e": "RUNNING"})
        assert ctl(running, "add", "e").stdout == "ERROR: process group already active\n"
        reloaded = ctl(running, "reload")
        assert (reloaded.returncode, reloaded.stdout) == (0, "Restarted supervisord\n")
        wait_for(lambda: states(ctl(running, "status", "e").stdout) == {"e": "RUNNING"})
        shut = ctl(running, "shutdown")
        assert (shut.returncode, shut.stdout) == (0, "Shut down\n")
        assert running.proc.wait(30) == 0
        gone = ctl(running, "shutdown")
        assert gone.returncode == 1
        assert "no such file (already shut down?)" in gone.stdout
