"""State shared by the section readers while one config is loaded.

``Collector`` gathers every problem instead of stopping at the first, so
``minderd --check`` can list them all. ``SectionReader`` fetches one key of
one section: it finds the value (own key or ``[DEFAULT]``), expands it,
converts it, and on failure records a diagnostic at the key's file:line and
returns the default so reading can go on.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TypeVar

from minder.config.diagnostics import Diagnostic, Severity, ValueProblem
from minder.config.expand import Names, expand
from minder.config.ini import Entry, IniDocument
from minder.model.specs import Provenance
from minder.records import mutable_record

T = TypeVar("T")

# Keys whose values no diagnostic may quote (diagnostics reach the main log).
SECRET_KEYS = frozenset({"password"})


@mutable_record
class Collector:
    """Every diagnostic of one load, with paths shown relative to the main file."""

    base_dir: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    def display(self, file: str) -> str:
        if not os.path.isabs(file):
            return file
        rel = os.path.relpath(file, self.base_dir)
        return file if rel.startswith("..") else rel

    def add(
        self,
        severity: Severity,
        file: str,
        line: int | None,
        section: str | None,
        key: str | None,
        message: str,
        suggestion: str | None = None,
        note: str | None = None,
    ) -> None:
        self.diagnostics.append(
            Diagnostic(severity, self.display(file), line, section, key, message, suggestion, note)
        )

    def problem(
        self, severity: Severity, entry_or_where: Entry | tuple[str, int | None],
        section: str | None, key: str | None, problem: ValueProblem,
    ) -> None:
        file, line = (
            (entry_or_where.file, entry_or_where.line)
            if isinstance(entry_or_where, Entry) else entry_or_where
        )
        self.add(severity, file, line, section, key, problem.message, problem.suggestion,
                 problem.note)

    @property
    def has_errors(self) -> bool:
        return any(d.severity == "error" for d in self.diagnostics)


@mutable_record
class LoadContext:
    """What every section reader of one load shares: the document, the problems, the environment."""

    doc: IniDocument
    collector: Collector
    environ: Mapping[str, str]
    cwd: str
    host_node_name: str
    _here: dict[str, str] = field(default_factory=dict)  # file -> its directory

    def here(self, file: str) -> str:
        """The directory of ``file`` (once per file: every expansion asks for it)."""
        found = self._here.get(file)
        if found is None:
            found = self._here[file] = os.path.dirname(os.path.abspath(file))
        return found

    def absolute(self, path: str) -> str:
        """``~`` expanded and made absolute against the daemon's working directory.

        ``..`` is kept, as supervisord keeps it: through a symlinked
        ``conf.d``, ``conf.d/..`` is not the directory that holds it.
        """
        return os.path.join(self.cwd, os.path.expanduser(path))

    def normalized(self, path: str) -> str:
        """Like ``absolute`` and normalised, as supervisord does for its own
        logfile, pidfile and socket paths (``os.path.abspath``)."""
        return os.path.normpath(self.absolute(path))


class SectionReader:
    """Typed access to one section's keys, reporting problems in place."""

    def __init__(self, ctx: LoadContext, section: str) -> None:
        self.ctx = ctx
        self.section = section
        sect = ctx.doc.sections[section]
        self.file = sect.file
        self.line = sect.line
        self._own = sect.entries  # looked up ~70 times per section

    @property
    def provenance(self) -> Provenance:
        return Provenance(self.file, self.line)

    def entry(self, key: str) -> Entry | None:
        """The section's own value, else the ``[DEFAULT]`` one (as ``IniDocument.get``)."""
        found = self._own.get(key)
        if found is not None:
            return found
        defaults = self.ctx.doc.defaults  # an include read later may add [DEFAULT]
        return defaults.entries.get(key) if defaults is not None else None

    def has(self, key: str) -> bool:
        if key in self._own:
            return True
        defaults = self.ctx.doc.defaults
        return defaults is not None and key in defaults.entries

    def raw(self, key: str) -> str | None:
        entry = self.entry(key)
        return None if entry is None else entry.value

    def names_for(self, entry: Entry | None, names: Names | None) -> dict[str, str | int]:
        """The expansion names, with ``here`` being the directory of the key's own file."""
        result: dict[str, str | int] = dict(names or {})
        if "here" in result:
            result["here"] = self.ctx.here(entry.file if entry else self.file)
        return result

    def text(self, key: str, names: Names | None, default: str | None = None) -> str | None:
        """The expanded text of ``key`` (None/default when absent or broken)."""
        entry = self.entry(key)
        if entry is None:
            return default
        if names is None:
            return entry.value
        try:
            return expand(
                entry.value,
                self.names_for(entry, names),
                f"{self.section}.{key}",
                secret=key in SECRET_KEYS,
            )
        except ValueProblem as problem:
            self.error_at(entry, key, problem)
            return default

    def get(
        self, key: str, convert: Callable[[str], T], default: T, names: Names | None
    ) -> T:
        # Most of a section's ~70 lookups find nothing: entry()'s two lookups
        # written out here, without its call (36,000 calls for 500 programs).
        entry = self._own.get(key)
        if entry is None:
            defaults = self.ctx.doc.defaults
            entry = defaults.entries.get(key) if defaults is not None else None
            if entry is None:
                return default
        text = self.text(key, names)
        if text is None:
            return default
        try:
            return convert(text)
        except ValueProblem as problem:
            self.error_at(entry, key, problem)
            return default

    def error_at(self, entry: Entry | None, key: str | None, problem: ValueProblem) -> None:
        where = (entry.file, entry.line) if entry else (self.file, self.line)
        self.ctx.collector.problem("error", where, self.section, key, problem)

    def error(self, key: str | None, message: str, suggestion: str | None = None,
              note: str | None = None) -> None:
        self.error_at(self.entry(key) if key else None, key,
                      ValueProblem(message, suggestion, note))

    def warning(self, key: str | None, message: str, suggestion: str | None = None,
                note: str | None = None) -> None:
        entry = self.entry(key) if key else None
        where = (entry.file, entry.line) if entry else (self.file, self.line)
        self.ctx.collector.problem("warning", where, self.section, key,
                                   ValueProblem(message, suggestion, note))
