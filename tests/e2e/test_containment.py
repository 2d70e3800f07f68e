"""Process containment against a real minderd, in the cgroup mode and the fallback.

A program that starts a ``setsid`` grandchild and double-forks a daemon
must leave nothing behind after ``stop`` (supervisord leaves both running,
even with stopasgroup). ``containment=subreaper`` forces the fallback.
Every test also checks that no cgroup of ours is left afterwards.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.cgroups import assert_cgroups_removed, cgroup_root
from tests.support.daemons import (
    RunningDaemon,
    UnixStreamHTTPConnection,
    process_alive,
    run_daemon,
    wait_for,
)

PY = sys.executable
ESCAPER = """\
import os, subprocess, sys, time
out = sys.argv[1]
setsid = subprocess.Popen(["setsid", "sleep", "300"])  # not a group leader: same pid
if os.fork() == 0:  # double fork: the daemon's parent exits at once
    os.setsid()
    if os.fork() == 0:
        with open(out + ".daemon", "w") as f:
            f.write(str(os.getpid()))
        time.sleep(300)
    os._exit(0)
with open(out + ".setsid", "w") as f:
    f.write(str(setsid.pid))
time.sleep(300)
"""


MODES = [
    pytest.param("cgroup", marks=pytest.mark.skipif(
        cgroup_root() is None, reason="no writable cgroup v2 here (needs root)")),
    "subreaper",
]


def daemon_json(d: RunningDaemon) -> Any:
    conn = UnixStreamHTTPConnection(str(d.socket_path))
    try:
        conn.request("GET", "/api/v1/daemon")
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def pid_in(path: Path) -> int:
    wait_for(lambda: path.exists() and path.read_text().strip() != "", timeout=15,
             what=f"{path.name} to be written")
    return int(path.read_text())


def escaper_body(tmp_path: Path, extra: str = "") -> tuple[str, Path]:
    """A program section running ESCAPER, and where it writes its descendants' pids."""
    script = tmp_path / "escaper.py"
    script.write_text(ESCAPER)
    out = tmp_path / "pids"
    return f"[program:escaper]\ncommand={PY} {script} {out}\nstartsecs=0\n{extra}", out


def escaped_pids(out: Path) -> tuple[int, int]:
    """(the setsid grandchild, the double-forked daemon), once both have started."""
    return pid_in(Path(f"{out}.setsid")), pid_in(Path(f"{out}.daemon"))


@pytest.mark.parametrize("mode", MODES)
def test_stop_leaves_no_setsid_or_double_forked_descendant(tmp_path: Path, mode: str) -> None:
    body, out = escaper_body(tmp_path, "stopasgroup=true\n")
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as d:
        grandchild, daemonized = escaped_pids(out)
        assert process_alive(grandchild) and process_alive(daemonized)
        assert daemon_json(d)["containment"]["mode"] == mode
        result = d.ctl("stop", "escaper")
        assert "escaper: stopped" in result.stdout, result
        wait_for(lambda: not process_alive(grandchild) and not process_alive(daemonized),
                 timeout=10, what="the setsid grandchild and the daemon to be gone")
        log = d.main_log()
    assert f"containment: {mode}" in log
    assert "'escaper' left behind" in log
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())  # removed at exit


@pytest.mark.parametrize("mode", MODES)
def test_stop_all_at_once_still_kills_what_one_program_left(tmp_path: Path, mode: str) -> None:
    """stop all: the exits are reaped in one pass of the reaper, where the cgroup
    backend tells at once whether any program left something; one that did is
    still found and killed."""
    body, out = escaper_body(tmp_path)
    body += "".join(
        f"[program:idle{n}]\ncommand=sleep 300\nstartsecs=0\n" for n in range(8))
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as d:
        grandchild, daemonized = escaped_pids(out)
        result = d.ctl("stop", "all")
        assert result.stdout.count(": stopped") == 9, result
        wait_for(lambda: not process_alive(grandchild) and not process_alive(daemonized),
                 timeout=10, what="the setsid grandchild and the daemon to be gone")
        log = d.main_log()
    assert "'escaper' left behind" in log
    assert "left behind" not in log.replace("'escaper' left behind", "")
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())


@pytest.mark.parametrize("mode", MODES)
def test_shutdown_leaves_no_descendant(tmp_path: Path, mode: str) -> None:
    body, out = escaper_body(tmp_path)
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as d:
        grandchild, daemonized = escaped_pids(out)
        d.stop()
        assert d.proc.returncode == 0
    assert not process_alive(grandchild) and not process_alive(daemonized)
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())


def zombies_of(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    fields = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if fields[0] == "Z" and int(fields[1]) == pid:
                found.append(int(entry))
    return found


ORPHANER = """\
import os, sys, time
for n in range(20):  # 20 double-forked orphans that exit after a moment
    if os.fork() == 0:
        if os.fork() == 0:
            time.sleep(0.2)
            os._exit(n)
        os._exit(0)
    os.wait()
open(sys.argv[1], "w").close()
time.sleep(300)
"""


@pytest.mark.parametrize("mode", MODES)
def test_orphans_are_reaped_at_once_and_attributed(tmp_path: Path, mode: str) -> None:
    script = tmp_path / "orphaner.py"
    script.write_text(ORPHANER)
    done = tmp_path / "forked"
    body = f"""
    [program:orphaner]
    command={PY} {script} {done}
    startsecs=0
    """
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as d:
        wait_for(done.exists, timeout=15, what="the orphans to be forked")
        wait_for(lambda: d.main_log().count("reaped unknown pid") >= 20, timeout=15,
                 what="20 orphans reaped")
        assert zombies_of(d.proc.pid) == []
        with d.rpc() as proxy:  # the managed child's own status was not taken
            assert proxy.supervisor.getProcessInfo("orphaner")["statename"] == "RUNNING"
        log = d.main_log()
    if mode == "cgroup":  # a zombie's cgroup is still readable: it names the program
        assert "reaped unknown pid" in log and "of 'orphaner'" in log


@pytest.mark.parametrize(("mode", "expected"), [("auto", None), ("subreaper", "subreaper"),
                                                ("off", "off")])
def test_check_reports_the_containment_mode(
    tmp_path: Path, mode: str, expected: str | None
) -> None:
    import subprocess

    from tests.support.daemons import VENV_BIN

    conf = tmp_path / "c.conf"
    conf.write_text(f"[supervisord]\nlogfile={tmp_path}/d.log\ncontainment={mode}\n"
                    "[program:a]\ncommand=/bin/true\n")
    result = subprocess.run([str(VENV_BIN / "minderd"), "--check", "-c", str(conf)],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    if expected is None:
        expected = "subreaper" if cgroup_root() is None else "cgroup"
    assert f"containment: {expected}: " in result.stdout


SURVIVOR_BODY = """
[program:worker]
command={script} {out}
startsecs=0
"""


@pytest.mark.parametrize("mode", MODES)
def test_kill_9_then_restart_leaves_one_copy(tmp_path: Path, mode: str) -> None:
    """minderd SIGKILLed: a new one on the same config ends the survivors first."""
    script = tmp_path / "escaper.py"
    script.write_text(ESCAPER)
    out = tmp_path / "pids"
    body = SURVIVOR_BODY.format(script=f"{PY} {script}", out=out)
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as first:
        grandchild = pid_in(Path(f"{out}.setsid"))
        with first.rpc() as proxy:
            old_worker = proxy.supervisor.getProcessInfo("worker")["pid"]
        first.proc.kill()  # kill -9: no chance to stop anything
        first.proc.wait(10)
    assert process_alive(old_worker) and process_alive(grandchild)  # survivors, unmanaged
    Path(f"{out}.setsid").unlink()
    with run_daemon(tmp_path, body, daemon_keys=f"containment={mode}") as second:
        new_grandchild = pid_in(Path(f"{out}.setsid"))
        with second.rpc() as proxy:
            new_worker = proxy.supervisor.getProcessInfo("worker")["pid"]
        assert not process_alive(old_worker)
        if mode == "cgroup":  # the predecessor's cgroup went with it
            assert not process_alive(grandchild)
        log = second.main_log()
        workers = [p for p in _pids_running(script) if p in (old_worker, new_worker)]
        assert workers == [new_worker]
        assert process_alive(new_grandchild)
    assert f"terminating 'worker' (pid {old_worker}), left running by a previous minderd" in log
    # Each survivor got SIGTERM (and died of it), none waited out TERM_WAIT for a SIGKILL.
    assert "ignored SIGTERM" not in log, log
    wait_for(lambda: not process_alive(grandchild), timeout=10, what="old grandchild gone")
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())


def _pids_running(script: Path) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if str(script).encode() in f.read() and process_alive(int(entry)):
                        found.append(int(entry))
            except OSError:
                continue
    return sorted(found)


@pytest.mark.skipif(cgroup_root() is None, reason="no writable cgroup v2 here (needs root)")
def test_an_empty_cgroup_of_a_killed_daemon_is_swept(tmp_path: Path) -> None:
    import subprocess

    dead = subprocess.Popen(["true"])
    dead.wait()  # its pid names no live process now
    root = cgroup_root()
    assert root is not None
    stale = os.path.join(root, f"minder-{dead.pid}-0badf00d")
    os.mkdir(stale)
    os.mkdir(os.path.join(stale, "p:x"))
    with run_daemon(tmp_path, "[program:a]\ncommand=sleep 300\n", daemon_keys="containment=cgroup"):
        wait_for(lambda: not os.path.exists(stale), timeout=10, what="the stale cgroup swept")


@pytest.mark.skipif(cgroup_root() is None, reason="no writable cgroup v2 here (needs root)")
def test_what_a_child_forks_before_its_move_still_lands_in_its_cgroup(tmp_path: Path) -> None:
    """The child moves into its cgroup after the spawn (off the event loop); a shell
    that backgrounds a job at once forks before that move, and the job must still
    end up in the program's cgroup and go with it."""
    out = tmp_path / "job"
    body = (
        "[program:quick]\n"
        f"command=/bin/sh -c 'sleep 300 & echo $! > {out}; exec sleep 300'\n"
        "startsecs=0\n"
    )
    with run_daemon(tmp_path, body, daemon_keys="containment=cgroup") as d:
        job = pid_in(out)
        with d.rpc() as proxy:
            main = proxy.supervisor.getProcessInfo("quick")["pid"]

        def cgroup_of(pid: int) -> str:
            with open(f"/proc/{pid}/cgroup") as f:
                return next(line[3:].strip() for line in f if line.startswith("0::"))

        wait_for(lambda: cgroup_of(job) == cgroup_of(main) and "p:quick" in cgroup_of(main),
                 timeout=10, what="the backgrounded job to join the program's cgroup")
        result = d.ctl("stop", "quick")
        assert "quick: stopped" in result.stdout, result
        wait_for(lambda: not process_alive(job), timeout=10, what="the job to be gone")
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())


@pytest.mark.skipif(cgroup_root() is None, reason="no writable cgroup v2 here (needs root)")
def test_a_neighbours_process_with_the_same_program_name_is_never_taken(tmp_path: Path) -> None:
    """Another supervisor in the same cgroup (supervisord beside minderd) sets the same
    SUPERVISOR_* names on its children: minderd's sweep for early forks must leave
    them where they are, and its stop must not kill them."""
    import subprocess

    env = dict(os.environ, SUPERVISOR_GROUP_NAME="quick", SUPERVISOR_PROCESS_NAME="quick")
    neighbour = subprocess.Popen(["sleep", "300"], env=env)
    try:
        with open(f"/proc/{neighbour.pid}/cgroup") as f:
            before = f.read()
        out = tmp_path / "job"
        body = (
            "[program:quick]\n"
            f"command=/bin/sh -c 'sleep 300 & echo $! > {out}; exec sleep 300'\n"
            "startsecs=0\n"
        )
        with run_daemon(tmp_path, body, daemon_keys="containment=cgroup") as d:
            job = pid_in(out)
            wait_for(lambda: "p:quick" in Path(f"/proc/{job}/cgroup").read_text(),
                     timeout=10, what="the program's own job to be placed")
            result = d.ctl("stop", "quick")
            assert "quick: stopped" in result.stdout, result
            wait_for(lambda: not process_alive(job), timeout=10, what="the job to be gone")
            assert neighbour.poll() is None, "minderd killed a process that is not its own"
            with open(f"/proc/{neighbour.pid}/cgroup") as f:
                assert f.read() == before
    finally:
        neighbour.kill()
        neighbour.wait()
    assert_cgroups_removed((tmp_path / "daemon.log").read_text())
