"""Log slices: offsets, tails, shrinking files and UTF-8 boundaries."""

from __future__ import annotations

from pathlib import Path

from minder.engine.logs.reader import read_slice


def test_tail_and_follow_by_offset(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"0123456789")
    tail = read_slice(str(log), None, 4)
    assert (tail.data, tail.start, tail.offset, tail.size) == (b"6789", 6, 10, 10)
    assert read_slice(str(log), 10, 100).data == b""
    log.write_bytes(b"0123456789abc")
    assert read_slice(str(log), 10, 100).data == b"abc"


def test_a_shrunk_file_restarts_from_zero(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"new")
    piece = read_slice(str(log), 50, 100)
    assert (piece.data, piece.reset, piece.offset) == (b"new", True, 3)


def test_multibyte_characters_are_never_split(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    text = "héllo wörld ✓ done".encode()
    log.write_bytes(text)
    got = b""
    offset = 0
    while offset < len(text):
        piece = read_slice(str(log), offset, 2)
        piece.data.decode("utf-8")  # never raises: boundaries are respected
        got += piece.data
        offset = piece.offset
    assert got == text
    tail = read_slice(str(log), None, 5)  # starts inside '✓'
    tail.data.decode("utf-8")
    assert text.endswith(tail.data)


def test_a_partial_character_at_the_end_waits_for_its_writer(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"ok\xc3")
    first = read_slice(str(log), 0, 10)
    assert (first.data, first.offset) == (b"ok", 2)
    assert not first.more
    log.write_bytes(b"ok\xc3\xa9!")
    second = read_slice(str(log), 2, 10)
    assert (second.data.decode(), second.offset) == ("é!", 5)


def test_invalid_bytes_inside_the_file_do_not_stall(tmp_path: Path) -> None:
    log = tmp_path / "x.log"
    log.write_bytes(b"a\xc3b\xff\xfec\n")
    piece = read_slice(str(log), 0, 100)
    assert piece.offset == 7
    assert piece.data.decode("utf-8", "replace") == "a\ufffdb\ufffd\ufffdc\n"
