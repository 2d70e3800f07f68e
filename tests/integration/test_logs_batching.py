"""Read batching of busy pipes (engine/readbatch.py) with real children and real pipes.

A child that writes line by line is taken out of epoll and read by the
batch's timer; whatever happens meanwhile (it goes quiet, it exits and is
drained, it is stopped), every byte reaches the log once and in order, and
a pipe that went quiet is watched by epoll again (its next line is read at
once). No timing is asserted: the tests hand-shake with the child where
the order of events matters.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.engine.bus import EventBus
from minder.engine.logs.childlog import ChildLog
from minder.engine.output import OutputChannel, PipeReader
from minder.engine.readbatch import ReadBatch
from minder.model.events import ProcessLogChunk
from tests.integration.engine_helpers import PY, until

# Lines of 100 bytes, one write(2) each, a pause of 1 ms every 20 lines (~2 MB/s):
# a pipe that wakes the loop many times a tick with a few lines each time.
TRICKLE = """
import os, sys, time
n = int(sys.argv[1])
for i in range(n):
    os.write(1, b"%08d %s\\n" % (i, b"t" * 90))
    if i % 20 == 19:
        time.sleep(0.001)
os.write(1, b"quiet now\\n")
while line := sys.stdin.readline():  # quiet: echo what the test sends
    os.write(1, line.encode())
"""

# Steps driven by the test through stdin, so the order is the test's.
STEPS = """
import os, sys
os.write(1, b"first\\n")
sys.stdin.readline()
os.write(1, b"second\\n")
sys.stdin.readline()
for i in range(500):  # 50 kB: fits the smallest pipe, so the child exits unread
    os.write(1, b"%08d %s\\n" % (i, b"s" * 90))
"""


def trickle_lines(n: int) -> bytes:
    return b"".join(b"%08d %s\n" % (i, b"t" * 90) for i in range(n))


def steps_tail() -> bytes:
    return b"".join(b"%08d %s\n" % (i, b"s" * 90) for i in range(500))


def start(tmp_path: Path, source: str, *args: str) -> tuple[subprocess.Popen[bytes], int]:
    script = tmp_path / "child.py"
    script.write_text(source)
    proc = subprocess.Popen(
        [PY, str(script), *args], stdout=subprocess.PIPE, stdin=subprocess.PIPE
    )
    assert proc.stdout is not None
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    os.set_blocking(fd, False)
    return proc, fd


def channel_for(log: ChildLog, bus: EventBus, *, events: bool = False) -> OutputChannel:
    return OutputChannel(
        group="g", name="w", channel="stdout", sink=log, bus=bus, strip=False,
        events_enabled=events,
    )


def errors() -> tuple[list[str], Callable[[str], None]]:
    seen: list[str] = []
    return seen, seen.append


def finish(proc: subprocess.Popen[bytes]) -> None:
    if proc.stdin is not None:
        proc.stdin.close()
    if proc.poll() is None:
        proc.kill()
    proc.wait(30)


def send(proc: subprocess.Popen[bytes], line: bytes) -> None:
    assert proc.stdin is not None
    proc.stdin.write(line)
    proc.stdin.flush()


@pytest.mark.parametrize(
    ("events", "shortest", "longest"),
    [(False, 0.05, 0.05), (True, 0.05, 0.05), (False, 0.002, 0.2)],
    ids=["spliced", "read-for-events", "spliced-adaptive-tick"],
)
def test_a_trickling_pipe_is_batched_then_watched_again_and_loses_nothing(
    tmp_path: Path, events: bool, shortest: float, longest: float
) -> None:
    lines = 40_000
    path = tmp_path / "trickle.log"
    seen, report = errors()
    log = ChildLog(str(path), 1_000_000, 10, None, report)
    bus = EventBus()
    proc, fd = start(tmp_path, TRICKLE, str(lines))
    # 0.05 s fixed, or from 2 ms up to 0.2 s: the ~2 MB/s child fills its
    # 64 KiB pipe's allowance slowly enough that the tick grows past 2 ms.
    batch = ReadBatch(interval=shortest, max_interval=longest)
    published: list[bytes] = []
    want = trickle_lines(lines) + b"quiet now\nare you there\n"

    def kept() -> bytes:
        backups = sorted(tmp_path.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:]))
        return b"".join(p.read_bytes() for p in backups) + path.read_bytes()

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        sub = bus.subscribe(logs=True, maxsize=1_000_000) if events else None
        reader = PipeReader(loop, fd, channel_for(log, bus, events=events), batch=batch)
        await until(lambda: kept().endswith(b"quiet now\n"), timeout=120, what="all lines")
        # Quiet now: the next tick finds the pipe empty and hands it back to epoll.
        await until(lambda: not reader.batched and not batch.scheduled, what="resumed")
        send(proc, b"are you there\n")
        await until(lambda: kept().endswith(b"are you there\n"), what="the echo")
        await until(lambda: not reader.batched, what="watched again")
        assert proc.stdin is not None
        proc.stdin.close()
        await until(lambda: reader.fd is None, what="EOF")
        if sub is not None:
            while (event := sub.get_nowait()) is not None:
                if isinstance(event, ProcessLogChunk):
                    published.append(event.data)
            sub.close()

    try:
        asyncio.run(scenario())
    finally:
        finish(proc)
        log.close()
    assert kept() == want
    assert batch.joined >= 1  # it was batched at least once
    if longest > shortest:
        assert batch.longest_tick > shortest  # the tick grew while the pipe trickled
    assert len(batch) == 0 and not batch.scheduled
    if events:
        assert b"".join(published) == want
    assert seen == []


async def batched_steps_reader(
    loop: asyncio.AbstractEventLoop,
    fd: int,
    proc: subprocess.Popen[bytes],
    log: ChildLog,
    batch: ReadBatch,
) -> PipeReader:
    """A reader of the STEPS child, once its second wake-up (one line, within a tick) batched it."""
    reader = PipeReader(loop, fd, channel_for(log, EventBus()), batch=batch)
    await until(lambda: log.size == len(b"first\n"), what="the first line")
    send(proc, b"go\n")
    await until(lambda: reader.batched, what="the pipe to be batched")
    return reader


def test_a_batched_pipe_is_drained_at_exit_and_leaves_the_batch(tmp_path: Path) -> None:
    seen, report = errors()
    log = ChildLog(str(tmp_path / "steps.log"), 0, 0, None, report)
    proc, fd = start(tmp_path, STEPS)
    batch = ReadBatch(interval=5.0)  # the tick comes after the exit: drain() reads the rest

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reader = await batched_steps_reader(loop, fd, proc, log, batch)
        assert batch.scheduled
        send(proc, b"go\n")
        await loop.run_in_executor(None, proc.wait, 30)  # exited; its lines wait in the pipe
        assert log.size == len(b"first\nsecond\n")
        reader.drain()  # what the process does when it reaps the child
        assert reader.fd is None
        assert not reader.batched and len(batch) == 0 and not batch.scheduled

    try:
        asyncio.run(scenario())
    finally:
        finish(proc)
        log.close()
    assert (tmp_path / "steps.log").read_bytes() == b"first\nsecond\n" + steps_tail()
    assert seen == []


def test_closing_a_batched_pipe_cancels_its_tick(tmp_path: Path) -> None:
    seen, report = errors()
    log = ChildLog(str(tmp_path / "close.log"), 0, 0, None, report)
    proc, fd = start(tmp_path, STEPS)
    batch = ReadBatch(interval=0.05)

    async def scenario() -> None:
        reader = await batched_steps_reader(asyncio.get_running_loop(), fd, proc, log, batch)
        reader.close()  # stop: the daemon closes the pipe
        assert reader.fd is None and len(batch) == 0 and not batch.scheduled

    try:
        asyncio.run(scenario())
    finally:
        finish(proc)
        log.close()
    assert batch.ticks == 0
    assert seen == []
