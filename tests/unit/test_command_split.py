"""``split_command`` is ``shlex.split`` for every command, quoted or not.

The spawn path splits a program's command without shlex when there is
nothing to unquote (engine/spawn.py says why); these properties compare it
with shlex itself over commands mixing every character shlex treats
specially, the whitespace it does not (vertical tab, form feed, NBSP) and
ordinary text.
"""

from __future__ import annotations

import shlex

from hypothesis import given, settings
from hypothesis import strategies as st

from minder.engine.spawn import split_command

TRICKY = " \t\r\n\x0b\x0c\x1c\xa0\u2003#;|&$*?~=-_/.x9é'\"\\"


def _shlex_or_error(command: str) -> list[str] | str:
    try:
        return shlex.split(command)
    except ValueError as exc:
        return f"ValueError: {exc}"


def _ours_or_error(command: str) -> list[str] | str:
    try:
        return split_command(command)
    except ValueError as exc:
        return f"ValueError: {exc}"


@settings(max_examples=500)
@given(st.text(alphabet=TRICKY, max_size=40))
def test_same_words_as_shlex(command: str) -> None:
    assert _ours_or_error(command) == _shlex_or_error(command)


@settings(max_examples=200)
@given(st.text(max_size=40))
def test_same_words_as_shlex_for_any_text(command: str) -> None:
    assert _ours_or_error(command) == _shlex_or_error(command)


def test_examples() -> None:
    assert split_command("/bin/sleep  infinity") == ["/bin/sleep", "infinity"]
    assert split_command("\tcat\x0bdog\n") == ["cat\x0bdog"]  # VT is not shlex whitespace
    assert split_command("sh -c 'echo a  b'") == ["sh", "-c", "echo a  b"]
    assert split_command("") == []
