"""Command resolution and the child's environment, as supervisord does them (§1.17, §3.3)."""

from __future__ import annotations

import ast
import os
import signal
import sys
from pathlib import Path

import pytest

from minder.engine.spawn import SpawnError, child_environment, resolve_command, spawn
from minder.model.specs import ProcessSpec
from minder.protocol.faults import Faults


def test_search_path_from_program_environment(tmp_path: Path) -> None:
    tool = tmp_path / "mytool"
    tool.write_text("#!/bin/sh\n")
    tool.chmod(0o755)
    filename, argv = resolve_command("mytool --flag 'two words'", {"PATH": f"/nope:{tmp_path}"})
    assert filename == str(tool)
    assert argv == ["mytool", "--flag", "two words"]


@pytest.mark.parametrize(
    ("command", "fault", "text"),
    [
        ("/nonexistent/x", Faults.NO_FILE, "can't find command '/nonexistent/x'"),
        ("nosuchcommand-xyz", Faults.NO_FILE, "can't find command 'nosuchcommand-xyz'"),
        ("/tmp", Faults.NOT_EXECUTABLE, "command at '/tmp' is a directory"),
        ("", Faults.NOT_EXECUTABLE, "command is empty"),
        ("echo 'unterminated", Faults.NOT_EXECUTABLE, "can't parse command"),
    ],
)
def test_resolution_errors(command: str, fault: Faults, text: str) -> None:
    with pytest.raises(SpawnError) as info:
        resolve_command(command, {"PATH": "/bin:/usr/bin"})
    assert info.value.fault is fault
    assert info.value.message.startswith(text)


def test_not_executable_file(tmp_path: Path) -> None:
    plain = tmp_path / "plain"
    plain.write_text("data")
    with pytest.raises(SpawnError) as info:
        resolve_command(str(plain), {})
    assert info.value.message == f"command at '{plain}' is not executable"


def test_environment_merge_order() -> None:
    spec = ProcessSpec(
        name="p",
        program_name="p",
        command="x",
        environment=(("SUPERVISOR_ENABLED", "mine"), ("B", "program")),
    )
    env = child_environment(
        spec,
        "g",
        base={"A": "os", "B": "os"},
        daemon_env=(("B", "daemon"), ("C", "daemon")),
        server_url="unix:///tmp/s.sock",
    )
    assert env["A"] == "os"
    assert env["B"] == "program"  # the program beats [supervisord] environment
    assert env["C"] == "daemon"
    assert env["SUPERVISOR_ENABLED"] == "mine"  # both environments override SUPERVISOR_*
    assert env["SUPERVISOR_PROCESS_NAME"] == "p"
    assert env["SUPERVISOR_GROUP_NAME"] == "g"
    assert env["SUPERVISOR_SERVER_URL"] == "unix:///tmp/s.sock"
    no_server = child_environment(spec, "g", base={}, daemon_env=(), server_url=None)
    assert "SUPERVISOR_SERVER_URL" not in no_server


def test_child_gets_default_sigpipe_and_sigxfsz() -> None:
    # cat reports its own inherited dispositions; Python would reset SIGPIPE itself.
    spec = ProcessSpec(name="p", program_name="p", command="cat /proc/self/status")
    popen, pipes = spawn(spec, dict(os.environ))
    try:
        assert popen.wait(30) == 0
        assert pipes.stdout is not None
        os.set_blocking(pipes.stdout, True)
        status = b""
        while chunk := os.read(pipes.stdout, 65536):
            status += chunk
    finally:
        for fd in (pipes.stdin, pipes.stdout, pipes.stderr):
            if fd is not None:
                os.close(fd)
    line = next(x for x in status.decode().splitlines() if x.startswith("SigIgn:"))
    ignored = int(line.split()[1], 16)
    for signum in (signal.SIGPIPE, signal.SIGXFSZ):
        assert not ignored & (1 << (signum - 1)), f"{signum.name} is ignored in the child"


def test_child_inherits_only_stdio(tmp_path: Path) -> None:
    leaked = os.open(os.devnull, os.O_RDONLY)
    os.set_inheritable(leaked, True)  # even an inheritable daemon fd must not reach a child
    spec = ProcessSpec(
        name="p",
        program_name="p",
        command=f"{sys.executable} -c 'import os; print(sorted(os.listdir(\"/proc/self/fd\")))'",
    )
    try:
        popen, pipes = spawn(spec, dict(os.environ))
    finally:
        os.close(leaked)
    try:
        assert popen.wait(30) == 0
        assert pipes.stdout is not None
        os.set_blocking(pipes.stdout, True)
        fds = ast.literal_eval(os.read(pipes.stdout, 1000).decode())
    finally:
        for fd in (pipes.stdin, pipes.stdout, pipes.stderr):
            if fd is not None:
                os.close(fd)
    # 0-2 plus the one fd listdir itself holds open
    assert len(fds) == 4 and fds[:3] == ["0", "1", "2"]


def test_an_injected_spawner_places_every_child(tmp_path: Path) -> None:
    """The spawn seam: a Supervisor built with ``spawner=`` starts children through it.

    Here it wraps the real spawn and records what it was asked; a start
    over the API hands it the environment and the command already resolved
    by startProcess's check (built once per start).
    """
    from typing import Any

    from minder.engine.reaper import Child
    from minder.engine.spawn import Pipes
    from minder.protocol.states import ProcessState as S
    from tests.integration.engine_helpers import (
        SLEEP,
        Running,
        proc,
        program,
        root_of,
        run,
        until_state,
    )

    asked: list[tuple[str, bool]] = []

    def recording(
        spec: ProcessSpec, env: dict[str, str], **kw: Any
    ) -> tuple[Child, Pipes]:
        asked.append((spec.name, kw.get("command") is not None))
        return spawn(spec, env, **kw)

    spec = proc("placed", SLEEP, tmp_path, startsecs=0, autostart=True)
    idle = proc("later", SLEEP, tmp_path, startsecs=0, autostart=False)

    async def scenario() -> None:
        root = root_of(program(spec), program(idle), tmp=tmp_path)
        async with Running(root, spawner=recording) as r:
            await until_state(r.sup, "placed", "placed", S.RUNNING)
            await r.sup.start_process("later", "later")
            assert r.sup.snapshot("later", "later").state is S.RUNNING

    run(scenario())
    # autostart resolves at spawn time; an API start hands over what its check resolved
    assert asked == [("placed", False), ("later", True)]


def test_child_leads_its_own_process_group_and_session() -> None:
    """supervisord's setpgrp() (killpg reaches the group), plus a session of its own.

    The session keeps a scheduler that groups tasks by session (autogroup)
    from making the daemon share one CPU share with every busy child.
    """
    spec = ProcessSpec(
        name="p",
        program_name="p",
        command=f"{sys.executable} -c 'import os; print(os.getpgid(0), os.getsid(0))'",
    )
    popen, pipes = spawn(spec, dict(os.environ))
    try:
        assert popen.wait(30) == 0
        assert pipes.stdout is not None
        os.set_blocking(pipes.stdout, True)
        pgid, sid = map(int, os.read(pipes.stdout, 1000).split())
    finally:
        for fd in (pipes.stdin, pipes.stdout, pipes.stderr):
            if fd is not None:
                os.close(fd)
    assert pgid == popen.pid
    assert sid == popen.pid
    assert sid != os.getsid(0)


def test_a_plain_child_is_started_by_posix_spawn_and_a_failed_exec_says_why(tmp_path: Path) -> None:
    """engine/fastspawn: no directory, umask or user, so no Popen; its errors read the same."""
    from minder.engine.fastspawn import SpawnedChild

    spec = ProcessSpec(name="p", program_name="p", command="/bin/true")
    child, pipes = spawn(spec, dict(os.environ))
    try:
        assert isinstance(child, SpawnedChild)
        assert child.wait(30) == 0 and child.poll() == 0
    finally:
        for fd in (pipes.stdin, pipes.stdout, pipes.stderr):
            if fd is not None:
                os.close(fd)
    garbage = tmp_path / "garbage"
    garbage.write_bytes(b"\x7fELF not really")
    garbage.chmod(0o755)
    bad = ProcessSpec(name="bad", program_name="bad", command=str(garbage))
    with pytest.raises(SpawnError) as info:
        spawn(bad, dict(os.environ))
    assert info.value.message == f"couldn't exec {garbage}: ENOEXEC"


def test_a_child_with_a_directory_still_starts_there(tmp_path: Path) -> None:
    """What posix_spawn cannot do here (a working directory) goes through Popen as before."""
    import subprocess

    spec = ProcessSpec(name="p", program_name="p", command="/bin/pwd", directory=str(tmp_path))
    child, pipes = spawn(spec, dict(os.environ))
    try:
        assert isinstance(child, subprocess.Popen)
        assert child.wait(30) == 0
        assert pipes.stdout is not None
        os.set_blocking(pipes.stdout, True)
        assert os.read(pipes.stdout, 1000).decode().strip() == str(tmp_path)
    finally:
        for fd in (pipes.stdin, pipes.stdout, pipes.stderr):
            if fd is not None:
                os.close(fd)
