"""Property: on any text RawConfigParser accepts, the line-recording reader
sees exactly the same sections, keys and values (supervisord's dialect)."""

from __future__ import annotations

import configparser

from hypothesis import given, settings
from hypothesis import strategies as st

from minder.config.ini import IniDocument

_word = st.sampled_from(["a", "B", "key", "x_y", "Command", "files"])
_value = st.sampled_from(["", "1", "v", "a;b", "a ;b", "a #b", "a#b", "x = y", "p: q", "%(here)s",
                          "'quoted ; semi'", "tail   "])
_indent = st.sampled_from(["", " ", "\t", "    "])
_line = st.one_of(
    st.builds(lambda n: f"[{n}]", st.sampled_from(["s", "program:x", "DEFAULT", "S", "a b"])),
    st.builds(lambda i, k, d, v: f"{i}{k}{d}{v}", _indent, _word,
              st.sampled_from(["=", " = ", ":", ": ", "=="]), _value),
    st.builds(lambda i, v: f"{i}{v}", _indent, _value),  # continuation (or garbage)
    st.sampled_from(["", "   ", "; comment", "# comment", "  ; indented comment"]),
)


def stdlib(text: str) -> configparser.RawConfigParser | None:
    parser = configparser.RawConfigParser(strict=False, inline_comment_prefixes=(";", "#"))
    try:
        parser.read_string(text)
    except configparser.Error:
        return None
    return parser


@settings(max_examples=120, deadline=None)
@given(st.lists(_line, max_size=12))
def test_same_values_as_raw_config_parser(lines: list[str]) -> None:
    text = "\n".join(["[first]", *lines]) + "\n"
    expected = stdlib(text)
    doc = IniDocument()
    doc.read(text, "t.conf")
    if expected is None:
        assert doc.syntax_problems
        return
    assert not doc.syntax_problems
    assert list(doc.sections) == expected.sections()
    for section in expected.sections():
        assert sorted(doc.keys(section)) == sorted(expected.options(section))
        for key in expected.options(section):
            entry = doc.get(section, key)
            assert entry is not None and entry.value == expected.get(section, key), (section, key)
