"""The engine with real children: every transition and both stop paths."""

from __future__ import annotations

import itertools
import os
import signal
import time
from pathlib import Path

import pytest

from minder.model.events import ProcessStateChanged
from minder.model.specs import AutoRestart, LogSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import ProcessState as S
from tests.integration.engine_helpers import (
    IGNORES_SIGTERM,
    PY,
    SLEEP,
    Running,
    proc,
    program,
    root_of,
    run,
    script,
    until,
    until_state,
)
from tests.support.daemons import process_alive


def transitions(r: Running, name: str) -> list[tuple[S, S]]:
    return [
        (e.from_state, e.to_state)
        for e in r.events
        if isinstance(e, ProcessStateChanged) and e.name == name
    ]


def test_autostart_reaches_running_with_supervisor_env(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        "env",
        """
        import os, sys, time
        for k in ("SUPERVISOR_ENABLED", "SUPERVISOR_PROCESS_NAME", "SUPERVISOR_GROUP_NAME",
                  "GLOBAL", "OWN"):
            print(f"{k}={os.environ.get(k)}")
        sys.stdout.flush()
        time.sleep(300)
    """,
    )
    spec = proc("envy", cmd, tmp_path, environment=(("OWN", "mine"),))

    async def scenario() -> None:
        root = root_of(program(spec), tmp=tmp_path, environment=(("GLOBAL", "g"),))
        async with Running(root) as r:
            await until_state(r.sup, "envy", "envy", S.RUNNING)
            snap = r.sup.snapshot("envy", "envy")
            assert snap.pid > 0 and process_alive(snap.pid)
            assert abs(snap.start - time.time()) < 30
            out = tmp_path / "envy.out"
            await until(lambda: "OWN=mine" in out.read_text())
            text = out.read_text()
            assert "SUPERVISOR_ENABLED=1" in text
            assert "SUPERVISOR_PROCESS_NAME=envy" in text
            assert "SUPERVISOR_GROUP_NAME=envy" in text
            assert "GLOBAL=g" in text
            assert transitions(r, "envy") == [(S.STOPPED, S.STARTING), (S.STARTING, S.RUNNING)]
        assert transitions(r, "envy")[-2:] == [(S.RUNNING, S.STOPPING), (S.STOPPING, S.STOPPED)]

    run(scenario())


def test_fast_exit_backs_off_then_fatal_with_growing_delays(tmp_path: Path) -> None:
    spec = proc("quick", f"{PY} -c 'pass'", startretries=2, startsecs=1)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "quick", "quick", S.FATAL, timeout=30)
            starts = [
                e.when
                for e in r.events
                if isinstance(e, ProcessStateChanged) and e.to_state is S.STARTING
            ]
            assert len(starts) == 3  # startretries + 1 attempts
            gaps = [b - a for a, b in itertools.pairwise(starts)]
            assert 0.9 < gaps[0] < 2.5 and 1.9 < gaps[1] < 3.5
            # A process that exits at once is never judged RUNNING.
            assert (S.STARTING, S.RUNNING) not in transitions(r, "quick")
            snap = r.sup.snapshot("quick", "quick")
            assert snap.spawnerr == "Exited too quickly (process log may have details)"
            assert (
                "gave up: quick entered FATAL state, too many start retries too quickly"
                in r.log.text()
            )

    run(scenario())


def test_missing_command_is_no_file_and_autostart_goes_fatal(tmp_path: Path) -> None:
    spec = proc("nocmd", "/nonexistent/cmd", startretries=0)
    notexec = tmp_path / "notexec"
    notexec.write_text("#!/bin/sh\n")
    spec2 = proc("noexec", str(notexec), autostart=False)

    async def scenario() -> None:
        async with Running(root_of(program(spec), program(spec2), tmp=tmp_path)) as r:
            await until_state(r.sup, "nocmd", "nocmd", S.FATAL)
            assert (
                r.sup.snapshot("nocmd", "nocmd").spawnerr == "can't find command '/nonexistent/cmd'"
            )
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("nocmd", "nocmd")
            assert info.value.code is Faults.NO_FILE
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("noexec", "noexec")
            assert info.value.code is Faults.NOT_EXECUTABLE
            assert "spawnerr: can't find command '/nonexistent/cmd'" in r.log.text()

    run(scenario())


def test_crash_is_restarted_with_a_new_pid(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        "crash",
        """
        import sys, time
        time.sleep(float(sys.argv[1]) if len(sys.argv) > 1 else 1.3)
        sys.exit(3)
    """,
    )
    spec = proc("crash", cmd, startsecs=1)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "crash", "crash", S.RUNNING)
            first = r.sup.snapshot("crash", "crash").pid
            await until(lambda: (S.RUNNING, S.EXITED) in transitions(r, "crash"))
            await until(lambda: r.sup.snapshot("crash", "crash").pid not in (0, first))
            second = r.sup.snapshot("crash", "crash").pid
            assert "exited: crash (exit status 3; not expected)" in r.log.text()
            # The new child is forked before the exit's log line and events are
            # written (a restart waits for nothing): their order is unchanged.
            lines = [msg for _, msg in r.log.lines]
            respawned = lines.index(f"spawned: 'crash' with pid {second}")
            assert lines.index("exited: crash (exit status 3; not expected)") < respawned
            seq = transitions(r, "crash")
            i = seq.index((S.RUNNING, S.EXITED))
            assert seq[i + 1] == (S.EXITED, S.STARTING)
            exited = next(
                e for e in r.events if isinstance(e, ProcessStateChanged) and e.to_state is S.EXITED
            )
            assert exited.expected is False and exited.pid == first

    run(scenario())


@pytest.mark.parametrize(
    ("autorestart", "code"), [(AutoRestart.NEVER, 3), (AutoRestart.UNEXPECTED, 0)]
)
def test_exit_without_restart_stays_exited(
    tmp_path: Path, autorestart: AutoRestart, code: int
) -> None:
    spec = proc(
        "once", f"{PY} -c 'import sys; sys.exit({code})'", startsecs=0, autorestart=autorestart
    )

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "once", "once", S.EXITED)
            snap = r.sup.snapshot("once", "once")
            assert snap.exitstatus == code and snap.pid == 0 and snap.stop > 0
            assert transitions(r, "once") == [
                (S.STOPPED, S.STARTING),
                (S.STARTING, S.RUNNING),
                (S.RUNNING, S.EXITED),
            ]

    run(scenario())


def test_stop_with_term_and_start_again(tmp_path: Path) -> None:
    spec = proc("sleepy", SLEEP, startsecs=0)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "sleepy", "sleepy", S.RUNNING)
            pid = r.sup.snapshot("sleepy", "sleepy").pid
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("sleepy", "sleepy")
            assert info.value.code is Faults.ALREADY_STARTED
            await r.sup.stop_process("sleepy", "sleepy", wait=True)
            assert r.sup.snapshot("sleepy", "sleepy").state is S.STOPPED
            assert not process_alive(pid)
            assert "stopped: sleepy (terminated by SIGTERM)" in r.log.text()
            with pytest.raises(SupervisorFault) as info:
                await r.sup.stop_process("sleepy", "sleepy")
            assert info.value.code is Faults.NOT_RUNNING
            await r.sup.start_process("sleepy", "sleepy", wait=True)
            assert r.sup.snapshot("sleepy", "sleepy").state is S.RUNNING
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("nosuch", "nosuch")
            assert info.value.code is Faults.BAD_NAME

    run(scenario())


def test_start_wait_reports_spawn_error(tmp_path: Path) -> None:
    spec = proc(
        "dies", f"{PY} -c 'import sys; sys.exit(1)'", autostart=False, startsecs=2, startretries=0
    )

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("dies", "dies", wait=True)
            assert info.value.code is Faults.SPAWN_ERROR

    run(scenario())


def test_sigterm_ignored_is_killed_after_stopwaitsecs(tmp_path: Path) -> None:
    cmd = script(tmp_path, "stubborn", IGNORES_SIGTERM)
    spec = proc("stubborn", cmd, tmp_path, startsecs=0, stopwaitsecs=3)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until(lambda: "ready" in (tmp_path / "stubborn.out").read_text())
            began = time.monotonic()
            await r.sup.stop_process("stubborn", "stubborn", wait=True)
            assert time.monotonic() - began >= 2.9
            text = r.log.text()
            assert "waiting for stubborn to stop" in text
            assert "killing 'stubborn' (" in text and ") with SIGKILL" in text
            assert "stopped: stubborn (terminated by SIGKILL)" in text

    run(scenario())


def test_stop_processes_signals_all_then_reports_in_completion_order(tmp_path: Path) -> None:
    """The one-pass stop behind stopProcessGroup/stopAllProcesses: only running
    processes, each reported as its stop completes, and one slow process
    neither delays the others' signals nor loses its "waiting for" lines."""
    stubborn = script(tmp_path, "stubborn", IGNORES_SIGTERM)
    specs = [
        proc("stubborn", stubborn, tmp_path, startsecs=0, stopwaitsecs=3),
        proc("quick", SLEEP, tmp_path, startsecs=0),
        proc("idle", SLEEP, tmp_path, startsecs=0, autostart=False),
    ]

    async def scenario() -> None:
        async with Running(root_of(*(program(s) for s in specs), tmp=tmp_path)) as r:
            await until(lambda: "ready" in (tmp_path / "stubborn.out").read_text())
            await until_state(r.sup, "quick", "quick", S.RUNNING)
            quick_pid = r.sup.snapshot("quick", "quick").pid
            with pytest.raises(SupervisorFault) as info:
                await r.sup.stop_processes("nosuch", wait=True)
            assert info.value.code is Faults.BAD_NAME
            began = time.monotonic()
            outcomes = await r.sup.stop_processes(None, wait=True)
            assert time.monotonic() - began >= 2.9
            # only running ones (idle is not), each reported as it completes
            assert [(o.name, o.fault) for o in outcomes] == [("quick", None), ("stubborn", None)]
            assert not process_alive(quick_pid)
            for name in ("stubborn", "quick"):
                assert r.sup.snapshot(name, name).state is S.STOPPED
            text = r.log.text()
            assert "waiting for stubborn to stop" in text
            assert "waiting for quick to stop" not in text
            assert "stopped: stubborn (terminated by SIGKILL)" in text

    run(scenario())


def test_stop_processes_without_wait_returns_once_signalled(tmp_path: Path) -> None:
    specs = [proc(f"p{i}", SLEEP, tmp_path, startsecs=0) for i in range(3)]

    async def scenario() -> None:
        async with Running(root_of(*(program(s) for s in specs), tmp=tmp_path)) as r:
            for i in range(3):
                await until_state(r.sup, f"p{i}", f"p{i}", S.RUNNING)
            outcomes = await r.sup.stop_processes(None, wait=False)
            assert [(o.name, o.fault) for o in outcomes] == [(f"p{i}", None) for i in (2, 1, 0)]
            for i in range(3):
                await until_state(r.sup, f"p{i}", f"p{i}", S.STOPPED)

    run(scenario())


GRANDPARENT = """
    import os, signal, subprocess, sys, time
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
    with open(sys.argv[1], "w") as f:
        f.write(str(child.pid))
    time.sleep(300)
"""


@pytest.mark.parametrize("as_group", [True, False])
def test_stopasgroup_reaches_the_grandchild(tmp_path: Path, as_group: bool) -> None:
    pidfile = tmp_path / "grandchild.pid"
    cmd = script(tmp_path, "gp", GRANDPARENT) + f" {pidfile}"
    spec = proc("gp", cmd, startsecs=0, stopasgroup=as_group, killasgroup=as_group)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until(lambda: pidfile.exists() and pidfile.read_text())
            grandchild = int(pidfile.read_text())
            await r.sup.stop_process("gp", "gp", wait=True)
            try:
                if as_group:
                    await until(lambda: not process_alive(grandchild), what="grandchild death")
                else:
                    assert process_alive(grandchild)  # orphaned, as supervisord leaves it
            finally:
                if process_alive(grandchild):
                    os.kill(grandchild, signal.SIGKILL)

    run(scenario())


def test_stop_in_backoff_goes_to_stopped(tmp_path: Path) -> None:
    spec = proc("flap", f"{PY} -c 'pass'", startretries=10, startsecs=5)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "flap", "flap", S.BACKOFF)
            await r.sup.stop_process("flap", "flap")
            assert r.sup.snapshot("flap", "flap").state is S.STOPPED
            assert (S.BACKOFF, S.STOPPED) in transitions(r, "flap")

    run(scenario())


def test_signal_and_stdin_reach_the_child(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        "echoer",
        """
        import signal, sys
        signal.signal(signal.SIGUSR1, lambda *a: print("got usr1", flush=True))
        for line in sys.stdin:
            print("echo:" + line.strip(), flush=True)
    """,
    )
    spec = proc("echoer", cmd, tmp_path, startsecs=0, redirect_stderr=True)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "echoer", "echoer", S.RUNNING)
            out = tmp_path / "echoer.out"
            await r.sup.send_stdin("echoer", "echoer", b"hello\n")
            await until(lambda: "echo:hello" in out.read_text())
            # The handler is installed before stdin is read, so the echo proves it is ready.
            await r.sup.signal_process("echoer", "echoer", signal.SIGUSR1)
            await until(lambda: "got usr1" in out.read_text(), what="signal handled")
            assert r.sup.log_path("echoer", "echoer", "stderr") is None

    run(scenario())


def test_pidfd_less_reaping_fallback(tmp_path: Path) -> None:
    spec = proc(
        "old", f"{PY} -c 'import sys; sys.exit(4)'", startsecs=0, autorestart=AutoRestart.NEVER
    )
    spec2 = proc("old2", SLEEP, startsecs=0)

    async def scenario() -> None:
        root = root_of(program(spec), program(spec2), tmp=tmp_path)
        async with Running(root, use_pidfd=False) as r:
            await until_state(r.sup, "old", "old", S.EXITED)
            assert r.sup.snapshot("old", "old").exitstatus == 4
            await until_state(r.sup, "old2", "old2", S.RUNNING)
            await r.sup.stop_process("old2", "old2")

    run(scenario())


@pytest.mark.skipif(os.geteuid() != 0, reason="switching user needs root")
def test_user_switch_and_unresolved_user_is_refused(tmp_path: Path) -> None:
    tmp_path.chmod(0o777)
    out = tmp_path / "uid.out"
    cmd = "/bin/sh -c 'echo $(id -u) $(id -g)'"
    as_nobody = proc(
        "asnobody",
        cmd,
        startsecs=0,
        autorestart=AutoRestart.NEVER,
        user="nobody",
        uid=65534,
        gid=65534,
        stdout=LogSpec(path=str(out), auto=False),
    )
    unresolved = proc("ghost", SLEEP, user="ghost", uid=None, startretries=0)

    async def scenario() -> None:
        root = root_of(program(as_nobody), program(unresolved), tmp=tmp_path)
        async with Running(root) as r:
            await until_state(r.sup, "asnobody", "asnobody", S.EXITED)
            assert out.read_text().split() == ["65534", "65534"]
            await until_state(r.sup, "ghost", "ghost", S.FATAL)
            assert "refusing to run as root" in r.sup.snapshot("ghost", "ghost").spawnerr

    run(scenario())
