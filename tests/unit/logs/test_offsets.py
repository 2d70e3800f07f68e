"""readLog and tailProcessLog offset rules, on the pure window functions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.engine.logs.reader import read_window, tail_window
from minder.protocol.faults import Faults, SupervisorFault


def test_negative_offset_and_zero_length_is_the_last_bytes() -> None:
    assert read_window(100, -10, 0) == (90, 10)


def test_negative_offset_larger_than_the_file_reads_it_all() -> None:
    assert read_window(5, -10, 0) == (0, 5)


def test_zero_length_reads_to_eof() -> None:
    assert read_window(100, 30, 0) == (30, 70)


def test_positive_length_is_capped_by_eof() -> None:
    assert read_window(100, 90, 50) == (90, 10)
    assert read_window(100, 10, 5) == (10, 5)


def test_offset_past_eof_is_empty() -> None:
    assert read_window(10, 20, 0) == (20, 0)


@pytest.mark.parametrize(("offset", "length"), [(-1, 1), (-5, -5), (0, -1), (10, -3)])
def test_bad_arguments(offset: int, length: int) -> None:
    with pytest.raises(SupervisorFault) as info:
        read_window(100, offset, length)
    assert info.value.code == Faults.BAD_ARGUMENTS
    assert info.value.text == "BAD_ARGUMENTS"


def test_tail_without_overflow_still_returns_the_last_length_bytes() -> None:
    # supervisord's quirk: "as many bytes as are available" means the last
    # `length` bytes of the file, even from before `offset`.
    assert tail_window(100, 90, 50) == (50, 50, False)
    assert tail_window(100, 100, 1600) == (100, 0, False)  # nothing new at EOF


def test_tail_overflow_returns_the_last_length_bytes() -> None:
    assert tail_window(1000, 0, 100) == (900, 100, True)


def test_tail_of_an_empty_file() -> None:
    assert tail_window(0, 0, 1600) == (0, 0, False)


def test_tail_with_zero_length_reports_overflow_but_no_data() -> None:
    assert tail_window(10, 0, 0) == (9, 0, True)


@given(st.integers(0, 10_000), st.integers(-20_000, 20_000), st.integers(-20_000, 20_000))
def test_tail_window_stays_inside_the_file(size: int, offset: int, length: int) -> None:
    start, count, _overflow = tail_window(size, offset, length)
    assert start >= 0
    assert 0 <= count <= max(0, length)
    assert start + count <= size or count == 0
