"""Child and main log files on a real filesystem: rotation, reopen, clear, failures."""

from __future__ import annotations

import os
import shutil
import stat
from pathlib import Path

import pytest

from minder.engine.logs.childlog import ChildLog
from minder.engine.logs.mainlog import MainLog
from minder.protocol.faults import Faults, SupervisorFault


class Errors:
    """Collects on_error messages."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    def __call__(self, message: str) -> None:
        self.messages.append(message)


def test_raw_bytes_are_appended_without_decoration(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"existing\n")
    log = ChildLog(str(path), 0, 0, None, Errors())
    log.write(b"partial")
    log.write(b" line\n\xff\x00binary")
    log.close()
    assert path.read_bytes() == b"existing\npartial line\n\xff\x00binary"
    assert log.path == str(path)


def test_rotation_keeps_the_configured_number_of_backups(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 10, 2, None, Errors())
    for chunk in (b"a" * 12, b"b" * 12, b"c" * 12, b"d" * 4):
        log.write(chunk)
    log.close()
    assert path.read_bytes() == b"d" * 4
    assert (tmp_path / "out.log.1").read_bytes() == b"c" * 12
    assert (tmp_path / "out.log.2").read_bytes() == b"b" * 12
    assert not (tmp_path / "out.log.3").exists()


def test_rotation_happens_after_the_write_that_reaches_maxbytes(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 10, 1, None, Errors())
    log.write(b"123456789")
    assert not (tmp_path / "out.log.1").exists()
    log.write(b"0")
    assert (tmp_path / "out.log.1").read_bytes() == b"1234567890"
    assert path.read_bytes() == b""
    assert log.size == 0
    log.close()


def test_zero_backups_truncates_in_place(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 10, 0, None, Errors())
    log.write(b"x" * 15)
    log.write(b"tail")
    log.close()
    assert path.read_bytes() == b"tail"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.log"]


def test_existing_size_counts_towards_rotation(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    path.write_bytes(b"q" * 8)
    log = ChildLog(str(path), 10, 1, None, Errors())
    log.write(b"zz")
    log.close()
    assert (tmp_path / "out.log.1").read_bytes() == b"q" * 8 + b"zz"


def test_reopen_after_an_external_rename(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 0, 0, None, Errors())
    log.write(b"before\n")
    os.rename(path, tmp_path / "out.log.old")
    log.write(b"still old\n")
    log.reopen()
    log.write(b"after\n")
    log.close()
    assert (tmp_path / "out.log.old").read_bytes() == b"before\nstill old\n"
    assert path.read_bytes() == b"after\n"


def test_clear_unlinks_and_starts_fresh_but_keeps_backups(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 5, 1, None, Errors())
    log.write(b"rotated")
    log.write(b"current")
    inode = path.stat().st_ino
    log.clear()
    assert path.read_bytes() == b""
    log.write(b"new")
    log.close()
    assert path.read_bytes() == b"new"
    assert path.stat().st_ino != inode or path.stat().st_size == 3
    assert (tmp_path / "out.log.1").read_bytes() == b"current"


def test_explicit_files_honour_the_umask(tmp_path: Path) -> None:
    old = os.umask(0o027)
    try:
        log = ChildLog(str(tmp_path / "out.log"), 0, 0, None, Errors())
    finally:
        os.umask(old)
    log.close()
    assert stat.S_IMODE((tmp_path / "out.log").stat().st_mode) == 0o640


def test_a_vanished_directory_is_reported_once_and_recovered_without_loss(
    tmp_path: Path,
) -> None:
    logdir = tmp_path / "logs"
    logdir.mkdir()
    errors, recoveries = Errors(), Errors()
    log = ChildLog(str(logdir / "out.log"), 0, 0, None, errors, on_recover=recoveries)
    log.write(b"one\n")
    shutil.rmtree(logdir)
    log.reopen()  # SIGUSR2 after someone removed the directory
    log.write(b"two\n")
    log.write(b"three\n")
    assert len(errors.messages) == 1
    assert "No such file or directory (ENOENT)" in errors.messages[0]
    assert str(logdir / "out.log") in errors.messages[0]
    assert log.failing and log.pending_bytes == len(b"two\nthree\n")

    logdir.mkdir()
    log.write(b"four\n")
    assert not log.failing
    assert len(recoveries.messages) == 1
    log.close()
    assert (logdir / "out.log").read_bytes() == b"two\nthree\nfour\n"


def test_a_missing_directory_at_start_is_retried(tmp_path: Path) -> None:
    errors = Errors()
    log = ChildLog(str(tmp_path / "later" / "out.log"), 0, 0, None, errors)
    log.write(b"early\n")
    assert len(errors.messages) == 1
    (tmp_path / "later").mkdir()
    assert log.retry()
    log.close()
    assert (tmp_path / "later" / "out.log").read_bytes() == b"early\n"


def test_full_disk_buffers_a_bounded_amount_and_marks_the_gap(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    os.symlink("/dev/full", path)  # every write fails with ENOSPC
    errors = Errors()
    log = ChildLog(str(path), 0, 0, None, errors, retry_limit=10)
    log.write(b"0123456")
    log.write(b"789abcdef")
    assert len(errors.messages) == 1
    assert "ENOSPC" in errors.messages[0]
    assert log.pending_bytes == 10 and log.dropped_bytes == 6

    path.unlink()  # space is back: the path is a regular file again
    log.reopen()
    log.write(b"next\n")
    log.close()
    data = path.read_bytes()
    assert data.startswith(b"0123456789\n[minder: 6 bytes of output were lost here")
    assert data.endswith(b"]\nnext\n")


def test_closed_log_ignores_writes(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 0, 0, None, Errors())
    log.close()
    log.write(b"ignored")
    log.close()
    assert path.read_bytes() == b""


def test_no_path_means_no_file(tmp_path: Path) -> None:
    log = ChildLog(None, 0, 0, None, Errors())
    log.write(b"nowhere")
    log.reopen()
    log.clear()
    log.close()
    assert log.path is None


def test_syslog_copy_does_not_disturb_the_file(tmp_path: Path) -> None:
    path = tmp_path / "out.log"
    log = ChildLog(str(path), 0, 0, "prog", Errors())
    log.write(b"line one\nline two\n")
    log.close()
    assert path.read_bytes() == b"line one\nline two\n"
    assert log.syslog_ident == "prog"


def test_write_watchers_are_called_and_removable(tmp_path: Path) -> None:
    log = ChildLog(str(tmp_path / "out.log"), 0, 0, None, Errors())
    calls: list[int] = []
    remove = log.add_watcher(lambda: calls.append(1))
    log.write(b"a")
    remove()
    log.write(b"b")
    log.close()
    assert calls == [1]


def test_main_log_file_rotation_and_clear(tmp_path: Path) -> None:
    path = tmp_path / "daemon.log"
    log = MainLog(str(path), 100, 1, "debug", False)
    for index in range(5):
        log.info(f"message {index} " + "x" * 20)
    log.debug("debug shows")
    log.trace("trace hidden")
    assert (tmp_path / "daemon.log.1").exists()
    text = (tmp_path / "daemon.log.1").read_text() + path.read_text()
    assert "trace hidden" not in text
    assert text.endswith(" DEBG debug shows\n")
    log.clear()
    assert path.read_bytes() == b""
    assert log.file_path == str(path)
    log.close()


def test_main_log_clear_without_a_file_is_no_file() -> None:
    log = MainLog("syslog", 0, 0, "info", False)
    with pytest.raises(SupervisorFault) as info:
        log.clear()
    assert info.value.code == Faults.NO_FILE
    assert log.file_path is None
    log.info("syslog record")  # must not raise
    log.close()


def test_main_log_reopen(tmp_path: Path) -> None:
    path = tmp_path / "daemon.log"
    log = MainLog(str(path), 0, 0, "info", False)
    log.info("first")
    os.rename(path, tmp_path / "old.log")
    log.reopen()
    log.info("second")
    log.close()
    assert "first" in (tmp_path / "old.log").read_text()
    assert path.read_text().endswith(" INFO second\n")


def test_non_regular_files_are_never_rotated() -> None:
    log = ChildLog("/dev/null", 10, 2, None, Errors())
    log.write(b"x" * 100)
    log.write(b"y" * 100)
    log.close()
    assert os.path.exists("/dev/null") and not os.path.isfile("/dev/null")
    assert not os.path.exists("/dev/null.1")


def test_main_log_keeps_records_until_its_directory_exists(tmp_path: Path) -> None:
    errors = Errors()
    path = tmp_path / "later" / "daemon.log"
    log = MainLog(str(path), 0, 0, "info", False, on_error=errors)
    log.warn("before the directory exists")
    (tmp_path / "later").mkdir()
    log.info("after")
    log.close()
    lines = path.read_text().splitlines()
    assert [line.split(" ", 2)[2] for line in lines] == [
        "WARN before the directory exists",
        "INFO after",
    ]
    assert len(errors.messages) == 2  # the failure, then the recovery
    assert "writable again" in errors.messages[1]


def test_a_failed_rotation_recovers_and_a_later_failure_is_reported_again(
    tmp_path: Path,
) -> None:
    logdir = tmp_path / "logs"
    logdir.mkdir()
    errors, recoveries = Errors(), Errors()
    log = ChildLog(str(logdir / "out.log"), 5, 1, None, errors, on_recover=recoveries)
    shutil.rmtree(logdir)
    log.write(b"123456")  # lands in the unlinked file; the rotation then fails
    assert len(errors.messages) == 1 and "cannot rotate" in errors.messages[0]
    logdir.mkdir()
    log.reopen()
    assert len(recoveries.messages) == 1
    shutil.rmtree(logdir)
    log.reopen()
    assert len(errors.messages) == 2  # a new episode is reported again
    log.close()
