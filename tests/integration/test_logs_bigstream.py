"""Big, fast streams through the real capture path: pipe → channel → log file.

A real child writes tens of MiB of numbered lines as fast as it can; the
daemon's reader moves them with splice, switches to reads while a log
subscriber is attached and back again when it leaves, grows the hot pipe,
and drops old pages behind the writer. Whatever the mix, every byte must be
in the kept files exactly once and in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import fcntl
import mmap
import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.engine import output
from minder.engine.bus import EventBus
from minder.engine.logs.childlog import ChildLog
from minder.engine.logs.dropbehind import DROP_LAG, DROP_STEP
from minder.engine.logs.follow import follow
from minder.engine.output import OutputChannel, PipeReader
from minder.model.events import ProcessLogChunk
from tests.integration.engine_helpers import PY, until

LINE = 100
BLOCK_LINES = 10_000  # one write of the child: 1 MB
WRITER = """
import os, sys
blocks = int(sys.argv[1])
for b in range(blocks):
    data = b"".join(b"%08d %s\\n" % (b * 10000 + i, b"x" * 90) for i in range(10000))
    view = memoryview(data)
    while view:
        view = view[os.write(1, view):]
sys.stdout.flush()
print("last words", flush=True)
if len(sys.argv) > 2:
    sys.stdin.read()  # stay alive (quiet) until the test closes our stdin
"""


def expected(blocks: int) -> bytes:
    lines = (b"%08d %s\n" % (n, b"x" * 90) for n in range(blocks * BLOCK_LINES))
    return b"".join(lines) + b"last words\n"


def kept(path: Path) -> bytes:
    """The log and its backups joined oldest first."""
    backups = sorted(
        (p for p in path.parent.glob(path.name + ".*")),
        key=lambda p: int(p.suffix[1:]),
        reverse=True,
    )
    return b"".join(p.read_bytes() for p in [*backups, path])


def start_writer(tmp_path: Path, blocks: int, *, stay: bool = False) -> subprocess.Popen[bytes]:
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    argv = [PY, str(script), str(blocks)] + (["stay"] if stay else [])
    stdin = subprocess.PIPE if stay else subprocess.DEVNULL
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stdin=stdin)


def channel_for(log: ChildLog, bus: EventBus) -> OutputChannel:
    return OutputChannel(
        group="g", name="w", channel="stdout", sink=log, bus=bus, strip=False, events_enabled=False
    )


def errors() -> tuple[list[str], Callable[[str], None]]:
    seen: list[str] = []
    return seen, seen.append


@pytest.mark.parametrize(("maxbytes", "backups"), [(0, 0), (5_000_000, 20)])
def test_every_byte_lands_in_order_while_a_subscriber_comes_and_goes(
    tmp_path: Path, maxbytes: int, backups: int
) -> None:
    blocks = 40  # 40 MB: past drop-behind, several rotations, many pipe-fulls
    path = tmp_path / "w.log"
    seen, report = errors()
    log = ChildLog(str(path), maxbytes, backups, None, report, lazy=True)
    bus = EventBus()
    proc = start_writer(tmp_path, blocks)
    assert proc.stdout is not None
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    os.set_blocking(fd, False)
    published: list[bytes] = []
    followed: list[bytes] = []

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        done = loop.create_future()
        reader = PipeReader(loop, fd, channel_for(log, bus), on_eof=lambda: done.set_result(None))

        def written() -> int:
            return log.size + sum(p.stat().st_size for p in tmp_path.glob("w.log.*"))

        await until(lambda: written() > 8_000_000, what="the first MB to be spliced")
        # A log subscriber appears: the channel must read (and publish) from now on.
        sub = bus.subscribe(logs=True, maxsize=100_000)
        follower = follow(str(path), subscribe=log.add_watcher)

        async def tail() -> None:
            async for data in follower:
                followed.append(data)

        tailing = asyncio.create_task(tail())
        mark = written()
        await until(lambda: written() > mark + 8_000_000, what="bytes read for the subscriber")
        sub.close()  # gone: back to splicing
        while (event := sub.get_nowait()) is not None:
            if isinstance(event, ProcessLogChunk):
                published.append(event.data)
        await until(lambda: sum(map(len, followed)) > 1_000_000, what="the follower to read")
        follower.close()
        tailing.cancel()
        await asyncio.gather(tailing, return_exceptions=True)
        await asyncio.wait_for(done, 60)
        assert reader.fd is None

    try:
        asyncio.run(scenario())
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(30)
        log.close()
    want = expected(blocks)
    assert kept(path) == want
    chunk = b"".join(published)
    assert chunk and chunk in want  # the subscriber saw one contiguous stretch
    if not maxbytes:  # a follower that falls two rotations behind may skip a file
        assert b"".join(followed) in want
    assert seen == []


def test_a_hot_channel_that_goes_quiet_has_its_last_bytes_in_the_log_at_once(
    tmp_path: Path,
) -> None:
    blocks = 12
    path = tmp_path / "quiet.log"
    seen, report = errors()
    log = ChildLog(str(path), 0, 0, None, report)
    proc = start_writer(tmp_path, blocks, stay=True)
    assert proc.stdout is not None and proc.stdin is not None
    fd = os.dup(proc.stdout.fileno())
    proc.stdout.close()
    os.set_blocking(fd, False)
    want = expected(blocks)

    async def scenario() -> None:
        loop = asyncio.get_running_loop()
        reader = PipeReader(loop, fd, channel_for(log, EventBus()))
        try:
            # The child is alive and silent now: nothing but its last write wakes us.
            await until(lambda: log.size == len(want), timeout=10, what="the last line")
            assert proc.poll() is None
        finally:
            reader.close()

    try:
        asyncio.run(scenario())
    finally:
        proc.stdin.close()
        proc.wait(30)
        log.close()
    assert path.read_bytes() == want
    assert seen == []


@pytest.mark.skipif(not output.HOT_PIPE_SIZE, reason="pipes are grown only as root")
def test_only_a_pipe_found_full_is_grown(tmp_path: Path) -> None:
    _, report = errors()
    log = ChildLog(str(tmp_path / "p.log"), 0, 0, None, report)
    hot_r, hot_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    quiet_r, quiet_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    small = 64 * 1024
    for r in (hot_r, quiet_r):
        fcntl.fcntl(r, output.F_SETPIPE_SZ, small)

    async def scenario() -> tuple[int, int]:
        loop = asyncio.get_running_loop()
        bus = EventBus()
        hot = PipeReader(loop, hot_r, channel_for(log, bus))
        quiet = PipeReader(loop, quiet_r, channel_for(log, bus))
        try:
            os.write(hot_w, b"h" * small)  # a full pipe when the reader wakes
            os.write(quiet_w, b"q" * 100)
            await until(lambda: log.size == small + 100, what="both pipes read")
            return hot.pipe_size, quiet.pipe_size
        finally:
            hot.close()
            quiet.close()

    try:
        hot_size, quiet_size = asyncio.run(scenario())
    finally:
        os.close(hot_w)
        os.close(quiet_w)
        log.close()
    assert hot_size == output.HOT_PIPE_SIZE
    assert quiet_size == small


def resident_pages(path: Path, start: int, length: int) -> int:
    """How many pages of ``path`` in [start, start+length) are in the page cache."""
    libc = ctypes.CDLL(None, use_errno=True)
    libc.mincore.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.POINTER(ctypes.c_ubyte)]
    page = mmap.PAGESIZE
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_COPY) as mm:
        base = ctypes.addressof(ctypes.c_char.from_buffer(mm))  # the export ends here
        vec = (ctypes.c_ubyte * (length // page))()
        if libc.mincore(ctypes.c_void_p(base + start), length, vec) != 0:
            raise OSError(ctypes.get_errno(), "mincore")
        return sum(v & 1 for v in vec)


def skip_where_pages_cannot_be_dropped(tmp_path: Path) -> None:
    probe = tmp_path / "probe"
    probe.write_bytes(b"p" * (1 << 20))
    with open(probe, "rb+") as f:
        os.fsync(f.fileno())
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
    if resident_pages(probe, 0, 1 << 20) > 16:
        pytest.skip("this file system keeps pages whatever it is told (tmpfs)")


def fds_open_on(path: Path) -> int:
    """How many of this process's descriptors point at ``path``."""
    count = 0
    for fd in os.listdir("/proc/self/fd"):
        with contextlib.suppress(OSError):
            count += os.readlink(f"/proc/self/fd/{fd}") == str(path)
    return count


def test_a_growing_log_drops_its_old_pages_and_keeps_its_tail(tmp_path: Path) -> None:
    skip_where_pages_cannot_be_dropped(tmp_path)
    path = tmp_path / "big.log"
    seen, report = errors()
    log = ChildLog(str(path), 0, 0, None, report)
    chunk = b"y" * (1 << 20)
    old = 2 * (DROP_LAG + DROP_STEP)
    try:
        for _ in range(old // len(chunk)):
            log.write(chunk)
        os.fsync(log._fd)  # write-back done: the next drop-behind call frees the pages
        for _ in range(DROP_STEP // len(chunk)):
            log.write(chunk)
        size = log.size
        before_lag = size - DROP_LAG
        assert resident_pages(path, 0, before_lag) < before_lag // mmap.PAGESIZE // 10
        assert resident_pages(path, before_lag, DROP_LAG) == DROP_LAG // mmap.PAGESIZE
    finally:
        log.close()
    assert path.stat().st_size == size
    assert seen == []


def test_a_rotated_log_leaves_no_pages_behind_once_written_back(tmp_path: Path) -> None:
    """The newest MiBs of a file that rotation makes a backup are still dirty then:
    they are dropped by the new file's first steps, and the backup's descriptor,
    kept open for that, is given back after them (or when the log is released)."""
    skip_where_pages_cannot_be_dropped(tmp_path)
    path = tmp_path / "rot.log"
    backup = tmp_path / "rot.log.1"
    seen, report = errors()
    maxbytes = DROP_LAG + 3 * DROP_STEP
    log = ChildLog(str(path), maxbytes, 2, None, report, lazy=True)
    chunk = b"z" * (1 << 20)
    try:
        for _ in range(maxbytes // len(chunk)):
            log.write(chunk)
        assert backup.stat().st_size == maxbytes  # rotated on the last write
        with open(backup, "rb") as f:
            os.fsync(f.fileno())  # the write-back that rotation started, done
        assert fds_open_on(backup) == 1  # kept until its pages are dropped
        for _ in range(DROP_STEP // len(chunk)):
            log.write(chunk)
        assert resident_pages(backup, 0, maxbytes) < maxbytes // mmap.PAGESIZE // 10
        for _ in range(DROP_LAG // len(chunk)):
            log.write(chunk)
        assert log.size == DROP_LAG + DROP_STEP
        assert fds_open_on(backup) == 0
        for _ in range((maxbytes - DROP_LAG - DROP_STEP) // len(chunk)):
            log.write(chunk)  # a second rotation, then the child goes
        assert fds_open_on(backup) == 1
        log.release()
        assert fds_open_on(backup) == 0
    finally:
        log.close()
    assert [p.stat().st_size for p in (tmp_path / "rot.log.2", backup, path)] == [
        maxbytes,
        maxbytes,
        0,
    ]
    assert seen == []
