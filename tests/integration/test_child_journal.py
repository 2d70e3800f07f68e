"""The children journal (daemon/survivors.py) during a long start burst.

Start times are read at the loop's next turn, after the burst, so the loop
does not wait on each child's exec; but a burst of 5,000 spawns is one turn
of several seconds, and a daemon SIGKILLed in it must still leave its
successor the pids it had started. Real children, a real journal file.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from pathlib import Path

import pytest

from minder.daemon.survivors import UNREAD_AT_MOST, ChildJournal, read_journal
from minder.engine import proctree
from minder.engine.fastspawn import SpawnedChild, spawn_plain


def _spawn_lines(path: Path) -> int:
    return path.read_bytes().count(b'{"spawn":')


def test_a_long_burst_reaches_the_journal_before_the_loop_turns(tmp_path: Path) -> None:
    path = tmp_path / "children"
    journal = ChildJournal(str(path))
    journal.begin()
    children = [subprocess.Popen(["sleep", "300"]) for _ in range(UNREAD_AT_MOST + 3)]
    try:

        async def burst() -> tuple[int, int]:
            for i, child in enumerate(children):
                journal.spawned(f"p{i}", child.pid)
            in_the_same_turn = _spawn_lines(path)
            await asyncio.sleep(0)  # the next turn: the rest are read and written
            return in_the_same_turn, _spawn_lines(path)

        in_the_same_turn, after = asyncio.run(burst())
        assert in_the_same_turn == UNREAD_AT_MOST
        assert after == len(children)
    finally:
        for child in children:
            child.kill()
            child.wait()
        journal.close()
    assert not path.exists()


def _exit_pids(path: Path) -> list[int]:
    return [
        int(line[len(b'{"exit":'):-1])
        for line in path.read_bytes().splitlines()
        if line.startswith(b'{"exit":')
    ]


def test_a_reap_pass_of_many_exits_is_written_whole_and_in_order(tmp_path: Path) -> None:
    """A stop all reaps hundreds in one turn: their exit lines go out together, each once."""
    path = tmp_path / "children"
    journal = ChildJournal(str(path))
    journal.begin()
    children = [subprocess.Popen(["sleep", "300"]) for _ in range(UNREAD_AT_MOST + 20)]
    try:

        async def spawn_then_stop_all() -> tuple[list[int], list[int]]:
            for i, child in enumerate(children):
                journal.spawned(f"p{i}", child.pid)
            await asyncio.sleep(0)  # the spawn lines are written
            for child in children:
                child.kill()
                child.wait()
            for child in reversed(children):  # one reap pass, in its own order
                journal.exited(child.pid)
            in_the_pass = _exit_pids(path)
            await asyncio.sleep(0)  # the next turn: one write for the whole pass
            return in_the_pass, _exit_pids(path)

        in_the_pass, after = asyncio.run(spawn_then_stop_all())
        assert in_the_pass == []
        assert after == [child.pid for child in reversed(children)]
        assert read_journal(str(path)).survivors == ()
        assert read_journal(str(path)).programs == frozenset()
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
        journal.close()
    assert not path.exists()


def test_a_start_time_known_at_the_spawn_is_written_without_reading_proc(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """fastspawn's start tick is the very value /proc shows; the journal then needs no read,
    and the successor still recognises the child by it."""
    read: list[int] = []
    real = proctree.start_time

    def counting(pid: int) -> int | None:
        read.append(pid)
        return real(pid)

    monkeypatch.setattr(proctree, "start_time", counting)
    path = tmp_path / "children"
    journal = ChildJournal(str(path))
    journal.begin()
    children: list[SpawnedChild] = []
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    try:
        while len(children) < 30:  # a few may come near a tick's edge: no hint for those
            child = spawn_plain("/bin/sleep", ["sleep", "300"], dict(os.environ),
                                (out_w, out_w, out_w))
            assert child is not None, "posix_spawn with close_range is not available here"
            children.append(child)
        hinted = [c for c in children if c.start_tick is not None]
        assert len(hinted) >= 20
        for i, child in enumerate(children):
            journal.spawned(f"p{i}", child.pid, child.start_tick)
        assert [c.start_tick for c in hinted] == [real(c.pid) for c in hinted]

        async def next_turn() -> None:
            await asyncio.sleep(0)

        asyncio.run(next_turn())
        assert sorted(read) == sorted(c.pid for c in children if c.start_tick is None)
        found = read_journal(str(path)).survivors
        assert sorted(s.pid for s in found) == sorted(c.pid for c in children)
        assert all(s.start == real(s.pid) for s in found)
    finally:
        for child in children:
            os.kill(child.pid, signal.SIGKILL)
            os.waitpid(child.pid, 0)
        os.close(out_r)
        os.close(out_w)
        journal.close()
