"""A small INI reader with the dialect supervisord uses, plus line numbers.

supervisord reads its config with the standard ``RawConfigParser``
(``strict=False``, inline comments ``;``/``#`` only after whitespace). That
parser forgets where each value came from, and minder's messages must name
``file:line``. So this module follows the same line-by-line algorithm and
remembers the line of every section header and key. It also records
duplicates, which RawConfigParser merges without a word.
"""

from __future__ import annotations

import re
from dataclasses import field

from minder.records import mutable_record, record

DEFAULT_SECTION = "DEFAULT"
_SECTION_RE = re.compile(r"\[(?P<header>.+)\]")
_OPTION_RE = re.compile(r"(?P<option>.*?)\s*(?P<delim>=|:)\s*(?P<value>.*)$")
_INLINE_COMMENT_PREFIXES = (";", "#")


@mutable_record
class Entry:
    """One key's value with where it was written."""

    value: str
    file: str
    line: int


@mutable_record
class Section:
    """One ``[section]`` as read, with its keys in file order."""

    name: str
    file: str  # where the section was first opened
    line: int
    entries: dict[str, Entry] = field(default_factory=dict)  # key (lower-case) -> entry


@record
class Duplicate:
    """A section header or key seen again (the later one wins, as in supervisord)."""

    section: str
    key: str | None  # None: the section header was repeated
    file: str
    line: int
    first_file: str
    first_line: int


@record
class SyntaxProblem:
    """A line that is neither ``key = value`` nor a section header."""

    file: str
    line: int
    text: str
    reason: str


@mutable_record
class IniDocument:
    """Everything read so far, across the main file and its includes."""

    sections: dict[str, Section] = field(default_factory=dict)
    defaults: Section | None = None
    duplicates: list[Duplicate] = field(default_factory=list)
    syntax_problems: list[SyntaxProblem] = field(default_factory=list)

    def get(self, section: str, key: str) -> Entry | None:
        """The section's own value, else the ``[DEFAULT]`` one (ConfigParser semantics)."""
        sect = self.sections.get(section)
        if sect is not None and key in sect.entries:
            return sect.entries[key]
        if self.defaults is not None:
            return self.defaults.entries.get(key)
        return None

    def keys(self, section: str) -> list[str]:
        """Every key visible in ``section``, its own first, then inherited defaults."""
        own = list(self.sections[section].entries)
        inherited = [k for k in (self.defaults.entries if self.defaults else {}) if k not in own]
        return own + inherited

    def read(self, text: str, file: str) -> None:
        """Add the sections of one file, like ``RawConfigParser.read_string``."""
        current: Section | None = None
        key: str | None = None
        pieces: list[str] | None = None
        key_entry: Entry | None = None
        indent_level = 0

        def finish_value() -> None:
            if key_entry is not None and pieces is not None:
                key_entry.value = "\n".join(pieces).rstrip()

        for lineno, raw in enumerate(text.splitlines(), start=1):
            value = _strip_comment(raw)
            if not value:
                # an empty line inside a multi-line value keeps an empty line
                if _comment_start(raw) is None and pieces is not None:
                    pieces.append("")
                continue
            indent = len(raw) - len(raw.lstrip())
            if current is not None and pieces is not None and indent > indent_level:
                pieces.append(value)
                continue
            indent_level = indent
            header = _SECTION_RE.match(value)
            if header:
                finish_value()
                key, pieces, key_entry = None, None, None
                current = self._open_section(header.group("header"), file, lineno)
                continue
            if current is None:
                self.syntax_problems.append(
                    SyntaxProblem(file, lineno, raw, "a key outside of any [section]")
                )
                continue
            option = _OPTION_RE.match(value)
            if not option or not option.group("option").strip():
                finish_value()
                if key == "password":  # likely the rest of a password: never quote it
                    problem = SyntaxProblem(
                        file, lineno, "", "not 'key = value' after a password= line "
                        "(not shown: it may hold part of the password)",
                    )
                else:
                    problem = SyntaxProblem(
                        file, lineno, raw, "not 'key = value' and not a [section]"
                    )
                self.syntax_problems.append(problem)
                key, pieces, key_entry = None, None, None
                continue
            finish_value()
            key = option.group("option").rstrip().lower()
            first = current.entries.get(key)
            if first is not None:
                self.duplicates.append(
                    Duplicate(current.name, key, file, lineno, first.file, first.line)
                )
            key_entry = Entry(option.group("value").strip(), file, lineno)
            pieces = [key_entry.value]
            current.entries[key] = key_entry
        finish_value()

    def _open_section(self, name: str, file: str, line: int) -> Section:
        if name == DEFAULT_SECTION:
            if self.defaults is None:
                self.defaults = Section(name, file, line)
            return self.defaults
        existing = self.sections.get(name)
        if existing is not None:
            self.duplicates.append(Duplicate(name, None, file, line, existing.file, existing.line))
            return existing
        section = Section(name, file, line)
        self.sections[name] = section
        return section


def _comment_start(line: str) -> int | None:
    """Index where a comment begins: a line starting with ;/#, or ;/# after whitespace."""
    if line.strip().startswith(_INLINE_COMMENT_PREFIXES):
        return 0
    best: int | None = None
    for prefix in _INLINE_COMMENT_PREFIXES:
        index = line.find(prefix)
        while index > 0:
            if line[index - 1].isspace():
                best = index if best is None else min(best, index)
                break
            index = line.find(prefix, index + 1)
    return best


def _strip_comment(line: str) -> str:
    start = _comment_start(line)
    return (line if start is None else line[:start]).strip()
