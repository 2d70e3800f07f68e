"""read_range and tail on real files, differentially against supervisord's readers."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from supervisor.options import readFile, tailFile

from minder.engine.logs.autonames import auto_log_path, cleanup_auto_logs
from minder.engine.logs.reader import read_range, tail
from minder.protocol.faults import Faults, SupervisorFault

# ASCII only: supervisord's tailFile decodes strictly and raises on invalid UTF-8.
CONTENT = bytes(range(32, 127)) * 8


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("reading") / "sample.log"
    path.write_bytes(CONTENT)
    return str(path)


@settings(deadline=None, max_examples=200)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_read_range_matches_supervisord(sample: str, offset: int, length: int) -> None:
    try:
        expected: bytes | str = readFile(sample, offset, length)
    except ValueError as exc:
        expected = exc.args[0]
    try:
        got: bytes | str = read_range(sample, offset, length)
    except SupervisorFault as fault:
        got = fault.code.name
    assert got == expected


@settings(deadline=None, max_examples=200)
@given(st.integers(-1000, 1000), st.integers(-1000, 1000))
def test_tail_matches_supervisord(sample: str, offset: int, length: int) -> None:
    text, new_offset, overflow = tailFile(sample, offset, length)
    data, got_offset, got_overflow = tail(sample, offset, length)
    # supervisord decodes to str for XML-RPC; compare the same decoding.
    assert (data.decode("utf-8", "replace"), got_offset, got_overflow) == (
        text,
        new_offset,
        overflow,
    )


def test_missing_file_is_no_file_with_the_path(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.log")
    with pytest.raises(SupervisorFault) as info:
        read_range(missing, 0, 0)
    assert info.value.code == Faults.NO_FILE
    assert info.value.text == f"NO_FILE: {missing}"
    with pytest.raises(SupervisorFault) as info:
        read_range(None, 0, 0)
    assert info.value.text == "NO_FILE"


def test_missing_file_tails_as_empty(tmp_path: Path) -> None:
    assert tail(str(tmp_path / "nope.log"), 0, 1600) == (b"", 0, False)
    assert tail(None, 0, 1600) == (b"", 0, False)


def test_unreadable_path_is_failed(tmp_path: Path) -> None:
    with pytest.raises(SupervisorFault) as info:
        read_range(str(tmp_path), 0, 0)  # a directory: exists but can't be read
    assert info.value.code == Faults.FAILED


def test_large_reads_are_refused_with_an_explanation(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(SupervisorFault) as info:
        read_range(str(path), 0, 0, max_bytes=4096)
    assert info.value.code == Faults.FAILED
    assert "read it in pieces" in info.value.text
    assert len(read_range(str(path), 1000, 0, max_bytes=4096)) == 4000
    assert len(read_range(str(path), -4096, 0, max_bytes=4096)) == 4096


def test_large_tails_are_capped_and_flag_overflow(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    path.write_bytes(b"a" * 1000 + b"b" * 4096)
    data, offset, overflow = tail(str(path), 0, 100_000, max_bytes=4096)
    assert (data, offset, overflow) == (b"b" * 4096, 5096, True)


def test_auto_log_names_and_mode(tmp_path: Path) -> None:
    path = auto_log_path(str(tmp_path), "sleeper", "stdout", "supervisor")
    name = os.path.basename(path)
    assert name.startswith("sleeper-stdout---supervisor-") and name.endswith(".log")
    assert os.path.isabs(path)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    other = auto_log_path(str(tmp_path), "sleeper", "stdout", "supervisor")
    assert other != path


def test_cleanup_removes_only_this_identifiers_auto_logs(tmp_path: Path) -> None:
    mine = auto_log_path(str(tmp_path), "a", "stdout", "ident")
    for suffix in (".1", ".22", ".1234"):
        Path(mine + suffix).write_bytes(b"backup")
    theirs = auto_log_path(str(tmp_path), "a", "stdout", "other")
    explicit = tmp_path / "a.log"
    explicit.write_bytes(b"keep")
    dotted = auto_log_path(str(tmp_path), "b", "stderr", "id.x")
    assert cleanup_auto_logs(str(tmp_path), "ident") == 4
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [os.path.basename(theirs), "a.log", os.path.basename(dotted)]
    )
    # the identifier is a literal, not a regex: "id.x" must not match "idyx"
    assert cleanup_auto_logs(str(tmp_path), "idyx") == 0
    assert cleanup_auto_logs(str(tmp_path), "id.x") == 1


def test_cleanup_of_a_missing_directory_removes_nothing(tmp_path: Path) -> None:
    assert cleanup_auto_logs(str(tmp_path / "gone"), "supervisor") == 0
