"""minderd as a subprocess: signals, in-process reload, exit codes, no leftovers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support.daemons import (
    VENV_BIN,
    RunningDaemon,
    descendants,
    process_alive,
    rpc_proxy,
    run_daemon,
    wait_for,
    write_config,
)

PY = sys.executable
SLEEPER = f"""
[program:sleeper]
command={PY} -c 'import time; time.sleep(300)'
startsecs=0
"""


def info(d: RunningDaemon, name: str) -> dict[str, Any]:
    with d.rpc() as proxy:
        result: dict[str, Any] = proxy.supervisor.getProcessInfo(name)
    return result


def daemon_state(d: RunningDaemon) -> str:
    with d.rpc() as proxy:
        return str(proxy.supervisor.getState()["statename"])


def zombies_of(pid: int) -> list[int]:
    out = []
    for child in descendants(pid):
        try:
            with open(f"/proc/{child}/stat") as f:
                if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                    out.append(child)
        except OSError:
            continue
    return out


def test_serves_rpc_and_restarts_crashes_without_zombies(tmp_path: Path) -> None:
    body = (
        SLEEPER
        + f"""
[program:crash]
command={PY} -c 'import time, sys; time.sleep(0.3); sys.exit(5)'
startsecs=0
"""
    )
    with run_daemon(tmp_path, body) as d:
        wait_for(lambda: info(d, "sleeper")["statename"] == "RUNNING")
        wait_for(
            lambda: d.main_log().count("exited: crash (exit status 5; not expected)") >= 3,
            timeout=30,
            what="three crashes",
        )
        assert info(d, "crash")["statename"] in ("STARTING", "RUNNING", "EXITED")
        assert zombies_of(d.proc.pid) == []
        sleeper_pid = info(d, "sleeper")["pid"]
    assert d.proc.returncode == 0
    assert not process_alive(sleeper_pid)
    assert "received SIGTERM indicating exit request" in d.main_log()


def test_sighup_with_broken_config_keeps_running(tmp_path: Path) -> None:
    with run_daemon(tmp_path, SLEEPER) as d:
        wait_for(lambda: info(d, "sleeper")["statename"] == "RUNNING")
        pid = info(d, "sleeper")["pid"]
        good = d.conf.read_text()
        d.conf.write_text(good + "\n[program:bad]\ncommand=/bin/true\nautostart=maybe\n")
        d.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: "restart aborted" in d.main_log(), what="reload refusal")
        assert "maybe" in d.main_log()
        assert daemon_state(d) == "RUNNING"
        assert info(d, "sleeper")["pid"] == pid

        # A good config reloads in-process: same daemon pid, new program, fresh children.
        d.conf.write_text(
            good + f"\n[program:added]\ncommand={PY} -c 'import time; "
            "time.sleep(300)'\nstartsecs=0\n"
        )
        d.proc.send_signal(signal.SIGHUP)
        wait_for(
            lambda: info(d, "added")["statename"] == "RUNNING",
            timeout=30,
            what="the reloaded config",
        )
        assert d.proc.poll() is None
        assert info(d, "sleeper")["pid"] != pid
        assert not process_alive(pid)


def test_sigusr2_reopens_and_sigusr1_is_ignored(tmp_path: Path) -> None:
    with run_daemon(tmp_path, SLEEPER) as d:
        wait_for(
            lambda: (
                "success: sleeper" in d.main_log() or info(d, "sleeper")["statename"] == "RUNNING"
            )
        )
        rotated = tmp_path / "daemon.log.old"
        os.rename(d.logfile, rotated)
        d.proc.send_signal(signal.SIGUSR2)
        wait_for(lambda: "supervisord logreopen" in d.main_log(), what="a new main log")
        assert "received SIGUSR2 indicating log reopen request" in rotated.read_text()
        d.proc.send_signal(signal.SIGUSR1)
        wait_for(lambda: "received SIGUSR1; ignored" in d.main_log())
        assert daemon_state(d) == "RUNNING"


@pytest.mark.parametrize("first", [signal.SIGTERM, signal.SIGHUP])
def test_second_sigterm_kills_what_is_left(tmp_path: Path, first: signal.Signals) -> None:
    script = tmp_path / "stubborn.py"
    script.write_text(
        textwrap.dedent("""
        import signal, time
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        print("ready", flush=True)
        time.sleep(300)
    """)
    )
    body = f"""
[program:stubborn]
command={PY} {script}
startsecs=0
stopwaitsecs=120
stdout_logfile={tmp_path}/stubborn.out
"""
    with run_daemon(tmp_path, body) as d:
        wait_for(
            lambda: (
                (tmp_path / "stubborn.out").exists()
                and "ready" in (tmp_path / "stubborn.out").read_text()
            )
        )
        child = info(d, "stubborn")["pid"]
        d.proc.send_signal(first)
        wait_for(lambda: "killing stubborn (pid" in d.main_log(), what="the stop signal")
        if first == signal.SIGHUP:
            # A TERM during a reload turns it into an exit; the next one kills.
            d.proc.send_signal(signal.SIGTERM)
            wait_for(lambda: "received SIGTERM indicating exit request" in d.main_log())
        d.proc.send_signal(signal.SIGTERM)
        d.proc.wait(30)
        assert d.proc.returncode == 0
        assert not process_alive(child)
        assert "killing what is left" in d.main_log()


def test_config_error_exits_2_with_supervisord_message(tmp_path: Path) -> None:
    conf = tmp_path / "bad.conf"
    conf.write_text(f"[supervisord]\nlogfile={tmp_path}/x.log\n[program:a]\nautostart=maybe\n")
    result = subprocess.run(
        [str(VENV_BIN / "minderd"), "-n", "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.startswith("Error: ")
    assert "For help, use" in result.stderr
    result = subprocess.run(
        [str(VENV_BIN / "minderd"), "-n", "--bogus"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "Error: option --bogus not recognized" in result.stderr


@pytest.mark.parametrize("flag", ["--check"])
def test_check_flag_runs_the_config_check(tmp_path: Path, flag: str) -> None:
    conf = tmp_path / "ok.conf"
    conf.write_text(f"[supervisord]\nlogfile={tmp_path}/x.log\n[program:a]\ncommand=/bin/true\n")
    result = subprocess.run(
        [str(VENV_BIN / "minderd"), flag, "-c", str(conf)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_daemonizes_and_refuses_a_second_daemon_on_the_same_pidfile(tmp_path: Path) -> None:
    conf, sock, _log = write_config(tmp_path, SLEEPER)
    minderd = str(VENV_BIN / "minderd")
    first = subprocess.run(
        [minderd, "-c", str(conf)], capture_output=True, text=True, timeout=60, cwd=tmp_path
    )
    assert first.returncode == 0, first.stderr
    pidfile = tmp_path / "daemon.pid"
    daemon_pid = int(pidfile.read_text())
    try:

        def running() -> bool:
            with rpc_proxy(str(sock)) as proxy:
                return bool(proxy.supervisor.getProcessInfo("sleeper")["statename"] == "RUNNING")

        wait_for(running, what="the detached daemon")
        second = subprocess.run(
            [minderd, "-c", str(conf)], capture_output=True, text=True, timeout=60, cwd=tmp_path
        )
        assert second.returncode == 2
        assert f"belongs to a running minderd (pid {daemon_pid})" in second.stderr
        with rpc_proxy(str(sock)) as proxy:
            proxy.supervisor.shutdown()
        wait_for(lambda: not process_alive(daemon_pid), timeout=30, what="daemon exit")
        assert not pidfile.exists()
    finally:
        if process_alive(daemon_pid):
            os.kill(daemon_pid, signal.SIGKILL)


def test_rpc_restart_reloads_in_process_and_refuses_a_broken_config(tmp_path: Path) -> None:
    with run_daemon(tmp_path, SLEEPER) as d:
        wait_for(lambda: info(d, "sleeper")["statename"] == "RUNNING")
        with d.rpc() as proxy:
            daemon_pid = proxy.supervisor.getPID()
        first = info(d, "sleeper")["pid"]
        good = d.conf.read_text()
        d.conf.write_text(good + "\n[program:bad]\ncommand=/bin/true\nstartsecs=soon\n")
        result = d.ctl("reload", client="supervisorctl")
        assert "CANT_REREAD" in result.stdout + result.stderr
        assert info(d, "sleeper")["pid"] == first
        d.conf.write_text(good)
        result = d.ctl("reload", client="supervisorctl")
        assert result.stdout.strip() == "Restarted supervisord"
        wait_for(
            lambda: info(d, "sleeper")["pid"] not in (0, first),
            timeout=30,
            what="a fresh sleeper after reload",
        )
        with d.rpc() as proxy:
            assert proxy.supervisor.getPID() == daemon_pid


@pytest.mark.skipif(os.geteuid() != 0, reason="switching user needs root")
def test_user_switch_serves_rpc_and_runs_children_as_that_user() -> None:
    import shutil
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="minder-user-"))
    workdir.chmod(0o777)  # nobody writes its log, socket and AUTO logs here
    try:
        body = "[program:whoami]\ncommand=/bin/sh -c 'id -u; exec sleep 300'\nstartsecs=0\n"
        conf, sock, log = write_config(workdir, body)
        conf.write_text(
            conf.read_text().replace("[supervisord]\n", "[supervisord]\nuser=nobody\n", 1)
        )
        proc = subprocess.Popen(
            [str(VENV_BIN / "minderd"), "-n", "-c", str(conf)],
            cwd=workdir,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:

            def uid_logged() -> bool:
                out = list(workdir.glob("whoami-stdout---*.log"))
                return bool(out) and out[0].read_text().strip() == "65534"

            wait_for(uid_logged, timeout=30, what="the child's uid in its log")
            with rpc_proxy(str(sock)) as proxy:
                assert proxy.supervisor.getProcessInfo("whoami")["statename"] == "RUNNING"
            assert "Set uid to user 65534 succeeded" in log.read_text()
        finally:
            proc.terminate()
            proc.wait(60)
        assert proc.returncode == 0
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
