"""Daemon utilities on the real OS: pidfile, daemonize, privileges, rlimits.

Anything that changes process-wide state (fork+setsid, setuid, setrlimit)
runs in a child interpreter, so the test process itself stays untouched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from minder.daemon.pidfile import PidfileInUse, claim_pidfile, read_pid, remove_pidfile
from tests.support.daemons import wait_for

ROOT_ONLY = pytest.mark.skipif(os.geteuid() != 0, reason="needs root")


def run_python(code: str, *args: str, timeout: float = 60.0) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def gone(pid: int) -> bool:
    try:
        return bool(psutil.Process(pid).status() == psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return True


def wait_for_cmdline(pid: int, expected: list[str]) -> None:
    """Wait until the child has exec'd: until then /proc/<pid>/cmdline is
    the forking interpreter's, or empty while execve is under way."""
    wait_for(lambda: psutil.Process(pid).cmdline() == expected, what=f"pid {pid} to exec")


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    """An unrelated live process (its argv[0] is 'sleep')."""
    proc = subprocess.Popen(["sleep", "60"])
    wait_for_cmdline(proc.pid, ["sleep", "60"])
    yield proc
    proc.kill()
    proc.wait(10)


@pytest.fixture
def fake_minderd() -> Iterator[subprocess.Popen[bytes]]:
    """A live process whose command line says it is minderd."""
    proc = subprocess.Popen(["minderd", "60"], executable="/bin/sleep")
    wait_for_cmdline(proc.pid, ["minderd", "60"])
    yield proc
    proc.kill()
    proc.wait(10)


# -- pidfile ------------------------------------------------------------------


def test_claim_writes_our_pid(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    assert claim_pidfile(str(path)) is None
    assert path.read_text() == f"{os.getpid()}\n"
    assert [p.name for p in tmp_path.iterdir()] == ["d.pid"]  # no temporary left
    assert remove_pidfile(str(path))
    assert not path.exists()


def test_a_dead_pid_is_stale_and_replaced(tmp_path: Path) -> None:
    dead = subprocess.Popen(["true"])
    dead.wait(10)
    path = tmp_path / "d.pid"
    path.write_text(f"{dead.pid}\n")
    note = claim_pidfile(str(path))
    assert note is not None and f"pid {dead.pid}" in note and "stale" in note
    assert read_pid(str(path)) == os.getpid()


def test_a_pid_reused_by_an_unrelated_program_is_stale(
    tmp_path: Path, sleeper: subprocess.Popen[bytes]
) -> None:
    path = tmp_path / "d.pid"
    path.write_text(f"{sleeper.pid}\n")
    assert claim_pidfile(str(path)) is not None
    assert read_pid(str(path)) == os.getpid()


def test_a_live_supervisor_keeps_its_pidfile(
    tmp_path: Path, fake_minderd: subprocess.Popen[bytes]
) -> None:
    path = tmp_path / "d.pid"
    path.write_text(f"{fake_minderd.pid}\n")
    with pytest.raises(PidfileInUse, match=rf"running minderd \(pid {fake_minderd.pid}\)"):
        claim_pidfile(str(path))
    assert read_pid(str(path)) == fake_minderd.pid


def test_garbage_is_treated_as_absent(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text("not a pid\n")
    assert read_pid(str(path)) is None
    assert claim_pidfile(str(path), pid=4242) is None
    assert path.read_text() == "4242\n"


def test_remove_only_when_it_is_still_ours(tmp_path: Path) -> None:
    path = tmp_path / "d.pid"
    path.write_text("4242\n")
    assert not remove_pidfile(str(path))
    assert path.exists()
    assert remove_pidfile(str(path), pid=4242)
    assert not remove_pidfile(str(path), pid=4242)


# -- daemonize ------------------------------------------------------------------

DAEMON_SCRIPT = """
    import json, os, sys
    from minder.daemon.daemonize import daemonize
    out, mode, directory = sys.argv[1:4]
    detached = daemonize(directory, 0o027)
    if mode == "fail":
        print("Error: cannot bind the socket", file=sys.stderr)
        sys.exit(3)
    if mode == "silent-exit":
        sys.exit(0)
    detached.ready()
    info = {
        "pid": os.getpid(),
        "parent_pid": os.getppid(),
        "sid": os.getsid(0),
        "cwd": os.getcwd(),
        "umask": os.umask(0),
        "stdio": [os.readlink(f"/proc/self/fd/{fd}") for fd in range(3)],
        "chdir_error": detached.chdir_error,
    }
    with open(out + ".tmp", "w") as handle:
        json.dump(info, handle)
    os.rename(out + ".tmp", out)
"""


def test_daemonize_detaches_and_the_launcher_exits_0_when_ready(tmp_path: Path) -> None:
    out = tmp_path / "info.json"
    launcher = run_python(DAEMON_SCRIPT, str(out), "ok", str(tmp_path))
    assert launcher.returncode == 0, launcher.stderr
    info = wait_for(lambda: out.exists() and json.loads(out.read_text()), what="daemon info")
    try:
        assert info["sid"] == info["pid"]  # session leader, no controlling terminal
        assert info["cwd"] == str(tmp_path)
        assert info["umask"] == 0o027
        assert info["stdio"] == ["/dev/null"] * 3
        assert info["chdir_error"] is None
    finally:
        wait_for(lambda: gone(info["pid"]), what="daemon exit")


def test_a_start_up_failure_reaches_the_launcher(tmp_path: Path) -> None:
    launcher = run_python(DAEMON_SCRIPT, str(tmp_path / "x"), "fail", str(tmp_path))
    assert launcher.returncode == 3
    assert "Error: cannot bind the socket" in launcher.stderr


def test_exiting_without_being_ready_is_a_failure(tmp_path: Path) -> None:
    launcher = run_python(DAEMON_SCRIPT, str(tmp_path / "x"), "silent-exit", str(tmp_path))
    assert launcher.returncode == 1


def test_a_missing_directory_is_reported_not_fatal(tmp_path: Path) -> None:
    out = tmp_path / "info.json"
    launcher = run_python(DAEMON_SCRIPT, str(out), "ok", str(tmp_path / "missing"))
    assert launcher.returncode == 0, launcher.stderr
    info = wait_for(lambda: out.exists() and json.loads(out.read_text()), what="daemon info")
    wait_for(lambda: gone(info["pid"]), what="daemon exit")
    assert "can't chdir into" in info["chdir_error"]


# -- privileges -------------------------------------------------------------------


@ROOT_ONLY
def test_drop_privileges_to_nobody_and_not_back() -> None:
    result = run_python(
        """
        import os
        from minder.daemon.privileges import PrivilegeError, drop_privileges, root_warning
        assert root_warning(None) is not None and root_warning("root") is None
        print(drop_privileges(65534))
        print(os.getuid(), os.geteuid(), os.getgid(), 0 in os.getgroups())
        print(drop_privileges(65534))
        try:
            drop_privileges(0)
        except PrivilegeError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "Set uid to user 65534 succeeded",
        "65534 65534 65534 False",
        "None",
        "Can't drop privilege as nonroot user",
    ]


# -- rlimits --------------------------------------------------------------------------


@ROOT_ONLY
def test_rlimits_are_raised_or_refused() -> None:
    result = run_python(
        """
        import os, resource
        from minder.daemon.rlimits import RlimitError, raise_limits
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 4096))
        print(raise_limits(1024, 0))
        print(resource.getrlimit(resource.RLIMIT_NOFILE))
        print(raise_limits(512, 0))
        resource.setrlimit(resource.RLIMIT_NOFILE, (256, 512))
        os.setuid(65534)
        try:
            raise_limits(1024, 0)
        except RlimitError as exc:
            print(exc)
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "['Increased RLIMIT_NOFILE limit to 1024']"
    assert lines[1] == "(1024, 4096)"
    assert lines[2] == "[]"
    assert "minimum number of file descriptors required" in lines[3]
    assert "512" in lines[3] and "minfds" in lines[3]


def test_signal_module_is_untouched() -> None:
    # daemonize must not install handlers in the caller (the engine owns signals)
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


# -- command line, differentially against supervisord ---------------------------------

BAD_COMMAND_LINES = [
    ["--bogus"],
    ["extra"],
    ["-c", "a", "--configuration", "b"],
    ["-n", "-n"],
    ["-y"],
    ["--nodaemon=true"],
    ["--min", "5"],
    ["-e", "warning"],
    ["-m", "999"],
    ["-y", "5XB"],
    ["-l", "/nonexistent-dir/x.log"],
    ["-q", "/nonexistent-dir"],
]


@pytest.mark.parametrize("argv", BAD_COMMAND_LINES, ids=" ".join)
def test_command_line_errors_match_supervisord(argv: list[str]) -> None:
    from minder.daemon.cli import UsageError, parse_args
    from tests.support.daemons import VENV_BIN

    upstream = subprocess.run(
        [str(VENV_BIN / "supervisord"), *argv],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert upstream.returncode == 2
    with pytest.raises(UsageError) as info:
        parse_args(argv)
    ours = info.value.render("PROG").splitlines()
    theirs = upstream.stderr.replace(str(VENV_BIN / "supervisord"), "PROG").splitlines()
    assert ours == theirs
