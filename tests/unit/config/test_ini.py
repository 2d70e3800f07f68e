"""The INI dialect: RawConfigParser(strict=False, inline ';'/'#') plus line numbers."""

from __future__ import annotations

from minder.config.ini import IniDocument


def read(text: str) -> IniDocument:
    doc = IniDocument()
    doc.read(text, "t.conf")
    return doc


def value(doc: IniDocument, section: str, key: str) -> str | None:
    entry = doc.get(section, key)
    return None if entry is None else entry.value


def test_both_delimiters_and_case_insensitive_keys() -> None:
    doc = read("[a]\nCommand = x\nother: y\n")
    assert value(doc, "a", "command") == "x"
    assert value(doc, "a", "other") == "y"


def test_first_delimiter_splits_key_from_value() -> None:
    doc = read("[a]\nbogus==\nurl: http://x:1\n")
    assert value(doc, "a", "bogus") == "="
    assert value(doc, "a", "url") == "http://x:1"


def test_inline_comment_needs_whitespace_before_it() -> None:
    doc = read("[a]\nx=b;c\ny=b ;c\nz=b\t# c\nw=a#b\n")
    assert [value(doc, "a", k) for k in "xyzw"] == ["b;c", "b", "b", "a#b"]


def test_full_line_comments_even_when_indented() -> None:
    doc = read("; top\n[a]\n  # indented comment\nx=1\n")
    assert value(doc, "a", "x") == "1"


def test_section_names_are_case_sensitive() -> None:
    doc = read("[Program:x]\ncommand=a\n[program:x]\ncommand=b\n")
    assert set(doc.sections) == {"Program:x", "program:x"}


def test_continuation_lines_join_with_newline() -> None:
    doc = read("[a]\nfiles = one\n   two\n\n   three\nnext=1\n")
    assert value(doc, "a", "files") == "one\ntwo\n\nthree"
    assert value(doc, "a", "next") == "1"


def test_trailing_blank_lines_of_a_value_are_dropped() -> None:
    doc = read("[a]\nx = one\n\n\n[b]\n")
    assert value(doc, "a", "x") == "one"


def test_default_section_is_inherited() -> None:
    doc = read("[DEFAULT]\nstartsecs=0\n[a]\n[b]\nstartsecs=5\n")
    assert value(doc, "a", "startsecs") == "0"
    assert value(doc, "b", "startsecs") == "5"
    assert doc.keys("a") == ["startsecs"]


def test_duplicates_last_wins_and_are_recorded_with_lines() -> None:
    doc = read("[a]\nx=1\nx=2\n[b]\n[a]\ny=3\n")
    assert value(doc, "a", "x") == "2"
    assert value(doc, "a", "y") == "3"
    dups = [(d.section, d.key, d.line, d.first_line) for d in doc.duplicates]
    assert dups == [("a", "x", 3, 2), ("a", None, 5, 1)]


def test_lines_are_recorded_across_files() -> None:
    doc = IniDocument()
    doc.read("[a]\nx=1\n", "main.conf")
    doc.read("\n\n[b]\ny=2\n", "inc.conf")
    entry = doc.get("b", "y")
    assert entry is not None and (entry.file, entry.line) == ("inc.conf", 4)
    assert (doc.sections["b"].file, doc.sections["b"].line) == ("inc.conf", 3)


def test_garbage_lines_are_syntax_problems_with_line_numbers() -> None:
    doc = read("x=1\n[a]\ngarbage line here\n")
    assert [(p.line, p.text) for p in doc.syntax_problems] == [
        (1, "x=1"),
        (3, "garbage line here"),
    ]
