"""Start-up's AUTO logs named first and made after the burst (autonames.AutoLogBatch).

The batch makes its first log at once (an unwritable childlogdir must stop
the start where it always did) and only names the others; an ``unborn``
ChildLog leaves its file to ``create_unborn`` (a spawn's ``touch`` does not
make it, an early write does), and a name taken in between is never used.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.engine.logs.autonames import (
    AutoLogBatch,
    auto_log_pattern,
    chosen_auto_log_path,
    create_auto_log,
)
from minder.engine.logs.childlog import ChildLog


def _mode(path: str) -> int:
    info = os.lstat(path)
    assert stat.S_ISREG(info.st_mode)
    return stat.S_IMODE(info.st_mode)


def _unborn_log(path: str, errors: list[str]) -> ChildLog:
    return ChildLog(path, 0, 0, None, on_error=errors.append, lazy=True, exclusive=True,
                    unborn=True)


def test_a_chosen_name_is_only_a_name_until_it_is_created(tmp_path: Path) -> None:
    path = chosen_auto_log_path(str(tmp_path), "web", "stdout", "ident")
    assert os.path.isabs(path) and not os.path.exists(path)
    assert auto_log_pattern("ident").match(os.path.basename(path))
    old = os.umask(0o022)
    try:
        assert create_auto_log(path) == path
    finally:
        os.umask(old)
    assert _mode(path) == 0o600 and os.path.getsize(path) == 0


@pytest.mark.parametrize("planted", ["file", "symlink"])
def test_a_name_taken_meanwhile_is_left_alone_and_a_new_one_made(
    tmp_path: Path, planted: str
) -> None:
    path = chosen_auto_log_path(str(tmp_path), "web", "stdout", "ident")
    target = tmp_path / "elsewhere"
    target.write_bytes(b"not yours")
    if planted == "file":
        Path(path).write_bytes(b"planted")
    else:
        os.symlink(target, path)
    made = create_auto_log(path)
    assert made != path and os.path.dirname(made) == str(tmp_path)
    assert os.path.basename(made).startswith("web-stdout---ident-")
    assert auto_log_pattern("ident").match(os.path.basename(made))
    assert _mode(made) == 0o600
    assert target.read_bytes() == b"not yours"
    if planted == "file":
        assert Path(path).read_bytes() == b"planted"


def test_the_batch_makes_its_first_log_at_once_and_the_rest_in_create_all(
    tmp_path: Path,
) -> None:
    batch = AutoLogBatch()
    first, first_unborn = batch.path(str(tmp_path), "a", "stdout", "ident")
    assert not first_unborn and os.path.exists(first)
    later = [batch.path(str(tmp_path), f"p{i}", "stdout", "ident") for i in range(5)]
    assert all(unborn and not os.path.exists(path) for path, unborn in later)
    made: list[str] = []

    def birth(path: str) -> Callable[[], None]:
        return lambda: made.append(create_auto_log(path))

    for path, _ in later:
        batch.later(birth(path))
    assert made == []
    batch.create_all()
    assert made == [path for path, _ in later] and all(os.path.exists(p) for p in made)
    # from then on, logs asked of the batch are made at once
    after, unborn = batch.path(str(tmp_path), "b", "stdout", "ident")
    assert not unborn and os.path.exists(after)
    ran: list[int] = []
    batch.later(lambda: ran.append(1))
    assert ran == [1]


def test_an_unwritable_childlogdir_still_fails_at_the_first_log(tmp_path: Path) -> None:
    missing = str(tmp_path / "gone")
    with pytest.raises(FileNotFoundError):
        AutoLogBatch().path(missing, "a", "stdout", "ident")


def test_an_unborn_log_is_not_made_by_a_spawns_touch_but_by_create_unborn(
    tmp_path: Path,
) -> None:
    errors: list[str] = []
    path = chosen_auto_log_path(str(tmp_path), "web", "stdout", "ident")
    log = _unborn_log(path, errors)
    log.touch()
    assert not os.path.exists(path)
    assert log.create_unborn() == path and _mode(path) == 0o600
    log.write(b"hello\n")
    log.close()
    assert Path(path).read_bytes() == b"hello\n" and errors == []


def test_an_early_write_makes_the_unborn_file_first(tmp_path: Path) -> None:
    errors: list[str] = []
    path = chosen_auto_log_path(str(tmp_path), "web", "stdout", "ident")
    Path(path).write_bytes(b"planted")  # the chosen name was taken
    log = _unborn_log(path, errors)
    log.write(b"early\n")
    made = log.create_unborn()  # already born: the same path again
    log.close()
    assert made is not None and made != path and made == log.path
    assert Path(made).read_bytes() == b"early\n" and _mode(made) == 0o600
    assert Path(path).read_bytes() == b"planted" and errors == []


def test_a_failed_creation_is_reported_and_tried_again_by_the_next_write(
    tmp_path: Path,
) -> None:
    errors: list[str] = []
    directory = tmp_path / "logs"
    path = chosen_auto_log_path(str(directory), "web", "stdout", "ident")
    log = _unborn_log(path, errors)
    assert log.create_unborn() == path
    assert len(errors) == 1 and "cannot create log file" in errors[0]
    directory.mkdir()
    log.write(b"kept\n")
    log.close()
    assert Path(path).read_bytes() == b"kept\n" and _mode(path) == 0o600
