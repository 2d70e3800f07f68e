"""strip_ansi removes exactly what supervisord's stripEscapes removes."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from supervisor.dispatchers import stripEscapes

from minder.engine.logs.ansi import strip_ansi


def test_colour_codes_are_removed() -> None:
    assert strip_ansi(b"\x1b[1;31mred\x1b[0m plain\n") == b"red plain\n"


def test_cursor_moves_are_removed() -> None:
    assert strip_ansi(b"a\x1b[2Jb\x1b[10;20Hc\x1b[Kd") == b"abcd"


def test_unterminated_escape_drops_the_rest_of_the_chunk() -> None:
    assert strip_ansi(b"keep\x1b[31 zzz 123") == b"keep"


def test_lone_escape_without_bracket_is_kept() -> None:
    assert strip_ansi(b"a\x1bb") == b"a\x1bb"


def test_data_without_escape_is_returned_as_is() -> None:
    data = b"plain text\n" * 10
    assert strip_ansi(data) is data


_PIECES = st.sampled_from(
    [b"\x1b", b"[", b"\x1b[", b"m", b"H", b"1", b";", b"x", b"\n", b"K", b"\x1b[0m", b"z"]
)


@given(st.lists(st.one_of(_PIECES, st.binary(max_size=4)), max_size=30).map(b"".join))
def test_matches_supervisord(data: bytes) -> None:
    assert strip_ansi(data) == stripEscapes(data)
