"""safeopen: what may be opened as a log, by who controls its directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from minder.engine.logs.safeopen import (
    UnsafeLogTarget,
    open_for_reading,
    open_log,
    truncate_regular,
    usable_as_is,
)


@pytest.fixture
def shared(tmp_path: Path) -> Path:
    """Writable by everyone, like /tmp: not trusted."""
    path = tmp_path / "shared"
    path.mkdir()
    path.chmod(0o1777)
    return path


@pytest.fixture
def private(tmp_path: Path) -> Path:
    """Ours and writable by nobody else: trusted."""
    path = tmp_path / "private"
    path.mkdir(mode=0o755)
    return path


def write_through(path: Path, data: bytes = b"x") -> None:
    fd = open_log(str(path))
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def test_a_new_or_own_regular_file_is_fine_anywhere(shared: Path, private: Path) -> None:
    for directory in (shared, private):
        write_through(directory / "a.log", b"one\n")
        write_through(directory / "a.log", b"two\n")
        assert (directory / "a.log").read_bytes() == b"one\ntwo\n"


def test_a_symlink_is_refused_in_a_shared_directory_and_followed_in_a_private_one(
    shared: Path, private: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"")
    (shared / "a.log").symlink_to(target)
    with pytest.raises(UnsafeLogTarget) as caught:
        write_through(shared / "a.log")
    assert caught.value.errno == errno.ELOOP and "symbolic link" in str(caught.value)
    (private / "a.log").symlink_to(target)
    write_through(private / "a.log", b"admin's link\n")
    assert target.read_bytes() == b"admin's link\n"


def test_a_hard_link_is_refused_in_a_shared_directory(shared: Path, tmp_path: Path) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    os.link(target, shared / "a.log")
    with pytest.raises(UnsafeLogTarget, match="2 hard links"):
        write_through(shared / "a.log")
    assert target.read_bytes() == b"keep"


def test_a_fifo_never_blocks_and_is_refused_in_a_shared_directory(
    shared: Path, private: Path
) -> None:
    for directory in (shared, private):
        os.mkfifo(directory / "a.log")
        with pytest.raises(OSError) as caught:  # no reader: ENXIO at once, not a hang
            write_through(directory / "a.log")
        assert caught.value.errno == errno.ENXIO
    reader = os.open(shared / "a.log", os.O_RDONLY | os.O_NONBLOCK)
    try:
        with pytest.raises(UnsafeLogTarget, match="not a regular file"):
            write_through(shared / "a.log")
    finally:
        os.close(reader)


def test_exclusive_refuses_a_name_that_was_taken(shared: Path) -> None:
    (shared / "a.log").write_bytes(b"")
    with pytest.raises(UnsafeLogTarget) as caught:
        open_log(str(shared / "a.log"), exclusive=True)
    assert caught.value.errno == errno.EEXIST
    os.close(open_log(str(shared / "b.log"), exclusive=True))


def test_truncate_empties_files_only_and_reading_a_fifo_does_not_block(private: Path) -> None:
    log = private / "a.log"
    log.write_bytes(b"old")
    fd = open_log(str(log))
    try:
        assert truncate_regular(fd)
    finally:
        os.close(fd)
    assert log.read_bytes() == b""
    os.mkfifo(private / "f")
    fd = open_for_reading(str(private / "f"))  # no writer: would block without O_NONBLOCK
    try:
        assert not truncate_regular(fd)
    finally:
        os.close(fd)


def test_usable_as_is_says_yes_only_where_open_log_takes_the_name_in_any_directory(
    shared: Path, private: Path, tmp_path: Path
) -> None:
    target = tmp_path / "target"
    target.write_bytes(b"keep")
    for directory in (shared, private):
        (directory / "own.log").write_bytes(b"")
        (directory / "link.log").symlink_to(target)
        os.link(target, directory / "hard.log")
        os.mkfifo(directory / "fifo.log")
    answers = {
        (d.name, name): usable_as_is(str(d / name))
        for d in (shared, private)
        for name in ("own.log", "link.log", "hard.log", "fifo.log", "missing.log")
    }
    assert answers == {
        (d, name): name == "own.log"
        for d in ("shared", "private")
        for name in ("own.log", "link.log", "hard.log", "fifo.log", "missing.log")
    }
    write_through(shared / "own.log")  # what it says yes to, open_log takes where it is strictest
    assert target.read_bytes() == b"keep"


def test_usable_as_is_accepts_the_programs_own_file_and_nobody_elses(shared: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to give the file to another uid")
    log = shared / "a.log"
    log.write_bytes(b"")
    os.chown(log, 4242, 4242)
    assert usable_as_is(str(log), owner=4242)
    assert not usable_as_is(str(log))
    assert not usable_as_is(str(log), owner=4243)
