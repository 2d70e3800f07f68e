"""New files under random names (AUTO logs, the pidfile's replacement), made as mkstemp does."""

from __future__ import annotations

import collections
import fcntl
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from minder.engine.logs import uniquefile
from minder.engine.logs.autonames import auto_log_path, auto_log_pattern
from minder.engine.logs.uniquefile import ALPHABET, create_unique, random_name


def test_a_new_file_has_mkstemps_name_form_mode_and_flags(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        fd, path = create_unique(str(tmp_path), "prog-stdout---ident-", ".log")
    finally:
        os.umask(old)
    try:
        head = re.escape(f"{tmp_path}/prog-stdout---ident-")
        assert re.fullmatch(head + r"[a-z0-9_]{8}\.log", path)
        info = os.fstat(fd)
        assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
        assert os.stat(path).st_ino == info.st_ino and info.st_size == 0
        assert fcntl.fcntl(fd, fcntl.F_GETFD) & fcntl.FD_CLOEXEC
        os.write(fd, b"x")  # opened for writing
    finally:
        os.close(fd)


def test_auto_log_names_still_match_supervisords_cleanup_pattern(tmp_path: Path) -> None:
    path = auto_log_path(str(tmp_path), "web", "stderr", "supervisor")
    assert os.path.isabs(path) and os.path.exists(path)
    assert auto_log_pattern("supervisor").match(os.path.basename(path))


def test_random_names_use_the_whole_alphabet_and_nothing_else() -> None:
    names = {random_name() for _ in range(2000)}
    assert len(names) == 2000
    assert all(len(n) == 8 and set(n) <= set(ALPHABET) for n in names)
    assert set("".join(names)) == set(ALPHABET)


def test_random_names_favour_no_letter() -> None:
    """256 is not a multiple of 37: the bytes that would favour letters are dropped."""
    counts = collections.Counter("".join(random_name() for _ in range(20000)))
    mean = 20000 * 8 / len(ALPHABET)  # ~4,324 a letter, sd ~66; a kept bias would be +17 %
    assert all(abs(counts[c] - mean) < 0.08 * mean for c in ALPHABET), counts


def test_bytes_that_would_favour_letters_are_never_used(monkeypatch: pytest.MonkeyPatch) -> None:
    draws = iter([bytes(range(222, 234)), bytes([0, 255, 36, 37, 221, 250, 1, 2, 3, 4, 5, 6])])
    monkeypatch.setattr(os, "urandom", lambda n: next(draws))
    # 0->a, 36->_, 37->a, 221->221 % 37 = 36 -> _; 255 and 250 dropped
    assert random_name() == "a_a_bcde"


def _names(*names: str) -> Iterator[str]:
    yield from names


def test_a_planted_symlink_at_the_chosen_name_is_skipped_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone who guessed a name and planted a link there gets nothing written through it."""
    target = tmp_path / "victim"
    target.write_bytes(b"precious")
    (tmp_path / "p-aaaaaaaa.log").symlink_to(target)
    os.mkfifo(tmp_path / "p-bbbbbbbb.log")  # opening a FIFO would block the event loop
    names = _names("aaaaaaaa", "bbbbbbbb", "cccccccc")
    monkeypatch.setattr(uniquefile, "random_name", lambda: next(names))
    fd, path = create_unique(str(tmp_path), "p-", ".log")
    os.close(fd)
    assert path == str(tmp_path / "p-cccccccc.log")
    assert target.read_bytes() == b"precious"
    assert os.path.islink(tmp_path / "p-aaaaaaaa.log")


def test_no_free_name_and_no_directory_are_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "p-taken.log").write_bytes(b"")
    monkeypatch.setattr(uniquefile, "random_name", lambda: "taken")
    monkeypatch.setattr(uniquefile, "ATTEMPTS", 5)
    with pytest.raises(FileExistsError):
        create_unique(str(tmp_path), "p-", ".log")
    monkeypatch.undo()
    with pytest.raises(FileNotFoundError):
        create_unique(str(tmp_path / "missing"), "p-", ".log")
