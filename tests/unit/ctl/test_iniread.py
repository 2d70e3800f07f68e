"""The [supervisorctl] reader follows RawConfigParser's dialect (as supervisorctl uses it)."""

from __future__ import annotations

import configparser

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.ctl.iniread import parse_ini, read_section

SAMPLE = """\
; comment
[DEFAULT]
prompt = fromdefault

[supervisorctl]
ServerUrl = unix:///tmp/x.sock ; inline comment
username: alice
password = pa;ss
history_file = ~/.hist
  continued
# whole-line comment
[program:x]
command = sleep 1
[supervisorctl]
username = bob
"""


def test_matches_configparser_on_a_sample() -> None:
    ours = read_section(SAMPLE, "supervisorctl")
    theirs = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    theirs.read_string(SAMPLE)
    assert ours == dict(theirs.items("supervisorctl"))
    assert ours is not None
    assert ours["username"] == "bob"
    assert ours["password"] == "pa;ss"
    assert ours["history_file"] == "~/.hist\ncontinued"


def test_missing_section_is_none() -> None:
    assert read_section("[supervisord]\n", "supervisorctl") is None


def test_line_outside_a_section_is_an_error() -> None:
    with pytest.raises(ValueError):
        parse_ini("key = value\n")


keys = st.text(alphabet="abcdefghij_", min_size=1, max_size=8)
vals = st.text(alphabet="abc/:%()._- ", max_size=12).map(str.strip)


@given(st.dictionaries(keys, vals, min_size=1, max_size=6))
def test_simple_sections_round_trip(pairs: dict[str, str]) -> None:
    text = "[supervisorctl]\n" + "".join(f"{k} = {v}\n" for k, v in pairs.items())
    theirs = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    theirs.read_string(text)
    assert read_section(text, "supervisorctl") == dict(theirs.items("supervisorctl"))


def test_sections_not_asked_for_are_still_checked() -> None:
    """Only [supervisorctl] and [DEFAULT] are kept, but a bad line anywhere is an error."""
    text = "[supervisorctl]\nserverurl = unix:///x\n[program:a]\ncommand = x\nnot a key line\n"
    with pytest.raises(ValueError, match="not a key line"):
        read_section(text, "supervisorctl")


def test_continuations_in_other_sections_are_skipped_as_configparser_does() -> None:
    text = (
        "[program:a]\ncommand = x\n  --flag\n\tmore\n[supervisorctl]\nusername = u\n"
        "[program:b]\nenvironment = A=1,\n    B=2\n[DEFAULT]\nprompt = p\n"
    )
    theirs = configparser.RawConfigParser(inline_comment_prefixes=(";", "#"), strict=False)
    theirs.read_string(text)
    assert read_section(text, "supervisorctl") == dict(theirs.items("supervisorctl"))
    assert parse_ini(text)["program:b"]["environment"] == "A=1,\nB=2"
