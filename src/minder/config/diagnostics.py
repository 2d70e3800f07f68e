"""Problems found while loading a config, reported lint-style.

Every problem carries where it is (file, line, section, key), what is wrong
and how to fix it, because a supervisor config is usually edited by someone
who is not looking at the code that reads it. One problem renders as one
line, e.g.::

    conf.d/tools.conf:7: warning: [program:web] unknown key 'startsec' (did you mean
    'startsecs'?) — supervisord ignores it silently
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from minder.records import record

Severity = Literal["error", "warning"]


@record
class Diagnostic:
    """One config problem, located by file, line, section and key, with its fix."""

    severity: Severity
    file: str  # as shown to the user: relative to the main config's directory when inside it
    line: int | None
    section: str | None
    key: str | None
    message: str
    suggestion: str | None = None
    note: str | None = None  # why it matters, e.g. what supervisord would do

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = f"{where}: {self.severity}: "
        if self.section is not None:
            text += f"[{self.section}] "
        text += self.message
        if self.suggestion:
            text += f" ({self.suggestion})"
        if self.note:
            text += f" — {self.note}"
        return text

    def as_error(self) -> Diagnostic:
        """The same problem, promoted (``strict`` mode)."""
        return Diagnostic(
            "error", self.file, self.line, self.section, self.key,
            self.message, self.suggestion, self.note,
        )


def sort_key(d: Diagnostic) -> tuple[str, int, str]:
    return (d.file, d.line or 0, d.message)


class ConfigError(Exception):
    """The config cannot be used; ``diagnostics`` holds every problem found."""

    def __init__(self, diagnostics: Iterable[Diagnostic]) -> None:
        self.diagnostics = list(diagnostics)
        super().__init__(self.report())

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity == "error"]

    def report(self) -> str:
        return "\n".join(str(d) for d in self.diagnostics)

    def __str__(self) -> str:
        return self.report()


class ValueProblem(ValueError):
    """A converter's complaint about one value, before we know where it was.

    ``message`` is supervisord's wording where it has one; ``suggestion``
    is minder's advice on the fix.
    """

    def __init__(self, message: str, suggestion: str | None = None, note: str | None = None):
        super().__init__(message)
        self.message = message
        self.suggestion = suggestion
        self.note = note
