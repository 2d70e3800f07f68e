"""Descriptors with many programs: logs are held only while a child writes, pidfds are rationed."""

from __future__ import annotations

import asyncio
import functools
import os
import subprocess
from pathlib import Path

import pytest

from minder.engine.reaper import Reaper
from minder.model.specs import AutoRestart, LogSpec
from minder.protocol.states import ProcessState as S
from tests.integration.engine_helpers import (
    PY,
    Running,
    proc,
    program,
    root_of,
    run,
    script,
    until,
    until_state,
)

AUTO = LogSpec(path=None, auto=True)


def open_paths() -> set[str]:
    paths = set()
    for fd in os.listdir("/proc/self/fd"):
        try:
            paths.add(os.readlink(f"/proc/self/fd/{fd}"))
        except OSError:
            continue
    return paths


def test_auto_logs_are_named_at_once_but_opened_only_while_the_child_writes(
    tmp_path: Path,
) -> None:
    talker = script(
        tmp_path,
        "talker",
        """
        import sys
        print("hello out", flush=True)
        print("hello err", file=sys.stderr, flush=True)
        sys.stdin.readline()
        print("bye", flush=True)
    """,
    )
    idle = proc("idle", f"{PY} -c 'pass'", autostart=False, stdout=AUTO, stderr=AUTO)
    chatty = proc(
        "chatty", talker, startsecs=0, autorestart=AutoRestart.NEVER, stdout=AUTO, stderr=AUTO
    )

    async def scenario() -> None:
        root = root_of(program(idle), program(chatty), tmp=tmp_path)
        async with Running(root) as r:
            idle_out = r.sup.log_path("idle", "idle", "stdout")
            idle_err = r.sup.log_path("idle", "idle", "stderr")
            out = r.sup.log_path("chatty", "chatty", "stdout")
            err = r.sup.log_path("chatty", "chatty", "stderr")
            assert idle_out and idle_err and out and err
            for path in (idle_out, idle_err, out, err):
                assert os.path.exists(path)
                assert os.stat(path).st_mode & 0o777 == 0o600  # mkstemp's mode, kept
            assert not {idle_out, idle_err} & open_paths()
            await until(lambda: b"hello err" in Path(err).read_bytes(), what="stderr logged")
            await until(lambda: b"hello out" in Path(out).read_bytes(), what="stdout logged")
            assert {out, err} <= open_paths()
            await r.sup.send_stdin("chatty", "chatty", b"go\n")
            await until_state(r.sup, "chatty", "chatty", S.EXITED)
            assert Path(out).read_bytes() == b"hello out\nbye\n"
            assert not {out, err} & open_paths()
            # Reading, clearing and reopening still work on a released log.
            r.sup.reopen_logs()
            assert not {out, err} & open_paths()
            await r.sup.start_process("chatty", "chatty", wait=False)
            await until(lambda: Path(out).read_bytes().count(b"hello out") == 2, what="respawn")
            r.sup.clear_process_logs("chatty", "chatty")
            assert Path(out).read_bytes() == b""
            await r.sup.send_stdin("chatty", "chatty", b"go\n")
            await until_state(r.sup, "chatty", "chatty", S.EXITED)
            assert Path(out).read_bytes() == b"bye\n"
            assert not {out, err} & open_paths()

    run(scenario())


def test_an_explicit_log_path_exists_once_the_child_is_spawned(tmp_path: Path) -> None:
    spec = proc("quiet", f"{PY} -c 'import time; time.sleep(300)'", tmp_path, startsecs=0)

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until_state(r.sup, "quiet", "quiet", S.RUNNING)
            assert (tmp_path / "quiet.out").exists()
            assert (tmp_path / "quiet.err").exists()
            assert str(tmp_path / "quiet.out") not in open_paths()

    run(scenario())


def test_children_beyond_the_pidfd_budget_are_reaped_on_sigchld() -> None:
    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        if reaper.mode != "pidfd":
            pytest.skip("no pidfds on this kernel")
        reaper._pidfd_budget = 2  # as if RLIMIT_NOFILE were tiny
        codes: dict[int, int] = {}
        children = [subprocess.Popen([PY, "-c", f"import sys; sys.exit({n})"]) for n in range(5)]
        try:
            for child in children:
                reaper.watch(child, functools.partial(codes.__setitem__, child.pid))
            assert reaper._pidfds == 2
            await until(lambda: len(codes) == 5, what="every child reaped")
        finally:
            reaper.close()
        assert [codes[c.pid] for c in children] == [0, 1, 2, 3, 4]
        assert reaper._pidfds == 0

    run(scenario())


def test_a_sigchld_collects_the_exits_without_polling_every_child() -> None:
    """5,000 programs stopping at once made each SIGCHLD poll every pid without a
    pidfd: the cost must follow the number of exits, not of children."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        reaper._pidfd_budget = 0  # every child on SIGCHLD
        polls: list[int] = []
        try_reap = reaper._try_reap

        def counting(pid: int) -> bool:
            polls.append(pid)
            return try_reap(pid)

        reaper._try_reap = counting  # type: ignore[method-assign]
        codes: dict[int, int] = {}
        sleepers = [subprocess.Popen(["sleep", "30"]) for _ in range(40)]
        try:
            for child in sleepers:
                reaper.watch(child, functools.partial(codes.__setitem__, child.pid))
            await asyncio.sleep(0)  # the watch-time checks for an early exit
            polls.clear()
            quick = subprocess.Popen([PY, "-c", "raise SystemExit(3)"])
            reaper.watch(quick, lambda code: codes.__setitem__(quick.pid, code))
            await until(lambda: quick.pid in codes, what="the quick child reaped")
            assert codes[quick.pid] == 3
            assert len(polls) < 10, f"{len(polls)} polls for one exit among 41 children"
        finally:
            for child in sleepers:
                child.kill()
            await until(lambda: len(codes) == 41, what="every sleeper reaped")
            reaper.close()
        assert all(codes[c.pid] == -9 for c in sleepers)

    run(scenario())


def test_a_sigchld_leaves_a_child_it_does_not_watch_to_its_owner() -> None:
    """An exited child the reaper does not watch hides the others from the peek:
    they are still collected, and the stranger is left for its own waitpid."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        reaper._pidfd_budget = 0
        stranger = subprocess.Popen([PY, "-c", "raise SystemExit(7)"])
        while not os.waitid(os.P_PID, stranger.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
            await asyncio.sleep(0.01)
        codes: dict[int, int] = {}
        children = [subprocess.Popen([PY, "-c", f"raise SystemExit({n})"]) for n in range(3)]
        try:
            for child in children:
                reaper.watch(child, functools.partial(codes.__setitem__, child.pid))
            await until(lambda: len(codes) == 3, what="every watched child reaped")
        finally:
            reaper.close()
        assert [codes[c.pid] for c in children] == [0, 1, 2]
        assert stranger.wait(30) == 7  # still ours to collect: the reaper did not steal it

    run(scenario())


def test_exits_that_are_ready_together_are_reaped_in_one_pass() -> None:
    """The loop watches one descriptor for every pidfd: children that exit together
    are reaped by one callback, and each reaped pidfd is closed."""

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        if reaper.mode != "pidfd":
            pytest.skip("no pidfds on this kernel")
        selector = loop._selector  # type: ignore[attr-defined]
        watched_before = len(selector.get_map())
        fds_before = len(os.listdir("/proc/self/fd"))
        codes: dict[int, int] = {}
        passes: list[int] = []
        on_exits = reaper._on_exits

        def counting() -> None:
            before = len(codes)
            on_exits()
            passes.append(len(codes) - before)

        reaper._on_exits = counting  # type: ignore[method-assign]
        sleepers = [subprocess.Popen(["sleep", "30"]) for _ in range(30)]
        try:
            for child in sleepers:
                reaper.watch(child, functools.partial(codes.__setitem__, child.pid))
            assert len(selector.get_map()) == watched_before + 1
            for child in sleepers:
                child.kill()
            # Every one has exited (and is not reaped) before the loop runs again.
            for child in sleepers:
                while not os.waitid(os.P_PID, child.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT):
                    os.sched_yield()
            await until(lambda: len(codes) == 30, what="every child reaped")
        finally:
            reaper.close()
        assert all(codes[c.pid] == -9 for c in sleepers)
        assert passes[0] == 30, f"reaped per pass: {passes}"
        assert len(os.listdir("/proc/self/fd")) == fds_before

    run(scenario())
