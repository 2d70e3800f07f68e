"""The kernel path of child logs: pipe → file with splice, rotation between splices."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.engine.bus import EventBus
from minder.engine.logs.childlog import ChildLog
from minder.engine.logs.rotatingfile import RotatingFile
from minder.engine.output import OutputChannel

pytestmark = pytest.mark.skipif(not hasattr(os, "splice"), reason="no os.splice here")


def errors() -> tuple[list[str], Callable[[str], None]]:
    seen: list[str] = []
    return seen, seen.append


def test_spliced_bytes_land_in_order_and_writes_append_after_them(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"old\n")
    seen, report = errors()
    log = RotatingFile(str(path), 0, 0, report, lazy=True)
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.write(w, b"spliced one\n")
        assert log.splice_from(r) == 12
        assert not fcntl.fcntl(log._fd, fcntl.F_GETFL) & os.O_APPEND
        with pytest.raises(BlockingIOError):
            log.splice_from(r)
        log.write(b"written\n")  # O_APPEND is back for plain writes
        assert fcntl.fcntl(log._fd, fcntl.F_GETFL) & os.O_APPEND
        with open(path, "ab") as other:  # another writer of the same path
            other.write(b"other\n")
        os.write(w, b"spliced two\n")
        assert log.splice_from(r) == 12
        assert log.size == path.stat().st_size
        os.close(w)
        w = -1
        assert log.splice_from(r) == 0  # EOF
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
        log.close()
    assert path.read_bytes() == b"old\nspliced one\nwritten\nother\nspliced two\n"
    assert seen == []


def test_rotation_is_checked_after_each_splice(tmp_path: Path) -> None:
    path = tmp_path / "rot.log"
    seen, report = errors()
    log = RotatingFile(str(path), 100, 2, report)
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    chunks = [bytes([65 + i]) * 60 for i in range(5)]
    try:
        for chunk in chunks:
            os.write(w, chunk)
            assert log.splice_from(r) == 60
    finally:
        os.close(r)
        os.close(w)
        log.close()
    # 60 → 120 rotates; 60 → 120 rotates; the last chunk stays in the live file.
    assert (tmp_path / "rot.log.2").read_bytes() == chunks[0] + chunks[1]
    assert (tmp_path / "rot.log.1").read_bytes() == chunks[2] + chunks[3]
    assert path.read_bytes() == chunks[4]
    assert seen == []


def test_non_regular_targets_and_syslog_copies_are_not_spliced(tmp_path: Path) -> None:
    _, report = errors()
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    devnull = RotatingFile("/dev/null", 0, 0, report)
    syslogged = ChildLog(str(tmp_path / "s.log"), 0, 0, "ident", report)
    try:
        os.write(w, b"x")
        assert devnull.splice_from(r) is None
        assert syslogged.splice_from(r) is None
        assert os.read(r, 10) == b"x"
    finally:
        for fd in (r, w):
            os.close(fd)
        devnull.close()
        syslogged.close()


def test_a_quiet_childs_eof_does_not_open_its_lazy_log(tmp_path: Path) -> None:
    """Empty pipe: EOF is 0 and no descriptor is opened; merely empty is BlockingIOError."""
    path = tmp_path / "quiet.log"
    seen, report = errors()
    log = RotatingFile(str(path), 0, 0, report, lazy=True)
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        with pytest.raises(BlockingIOError):
            log.splice_from(r)  # nothing yet, the writer is still there
        assert log._fd < 0
        os.close(w)
        w = -1
        assert log.splice_from(r) == 0
        assert log._fd < 0 and not path.exists()
    finally:
        os.close(r)
        if w >= 0:
            os.close(w)
        log.close()
    assert seen == []


def test_a_channel_stops_splicing_once_something_needs_its_bytes(tmp_path: Path) -> None:
    """Splice is decided when the channel is made and when something is plugged
    in; a log subscriber on the bus is asked on every read."""
    seen, report = errors()
    path = tmp_path / "ch.log"
    log = ChildLog(str(path), 0, 0, None, report)
    bus = EventBus()
    channel = OutputChannel(
        group="g", name="p", channel="stdout", sink=log, bus=bus, strip=False,
        events_enabled=False,
    )
    captured: list[bytes] = []
    r, w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        os.write(w, b"spliced\n")
        assert channel.splice_from(r) == 8
        sub = bus.subscribe(logs=True)
        os.write(w, b"for the subscriber\n")
        assert channel.splice_from(r) is None  # the read path: the bus wants the chunk
        channel.feed(os.read(r, 100))
        sub.close()
        with pytest.raises(BlockingIOError):  # nobody listens: spliced again (the pipe is empty)
            channel.splice_from(r)
        def capture(data: bytes) -> bytes:
            captured.append(data)
            return data

        channel.plug(capture=capture)
        os.write(w, b"captured\n")
        assert channel.splice_from(r) is None
        channel.feed(os.read(r, 100))
    finally:
        os.close(r)
        os.close(w)
        log.close()
    assert path.read_bytes() == b"spliced\nfor the subscriber\ncaptured\n"
    assert captured == [b"captured\n"]
    assert seen == []
