"""The children journal (daemon/survivors.py) during a long start burst.

Start times are read at the loop's next turn, after the burst, so the loop
does not wait on each child's exec; but a burst of 5,000 spawns is one turn
of several seconds, and a daemon SIGKILLed in it must still leave its
successor the pids it had started. Real children, a real journal file.
"""

from __future__ import annotations

import asyncio
import subprocess
from pathlib import Path

from minder.daemon.survivors import UNREAD_AT_MOST, ChildJournal


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
