"""Problems supervisord ignores silently: typos in section and key names,
duplicates, and lines that are not INI at all (reference §2.1)."""

from __future__ import annotations

from minder.config.context import LoadContext
from minder.config.ini import DEFAULT_SECTION
from minder.config.schema import ALL_KEY_NAMES, SECTION_KINDS, key_names, kind_of
from minder.config.suggest import closest, did_you_mean

_EXACT = ("supervisord", "supervisorctl", "include", "unix_http_server", "inet_http_server")
_PREFIXED = tuple(k.kind for k in SECTION_KINDS if k.prefix and k.kind not in _EXACT)
IGNORED = "supervisord ignores it silently"


def lint(ctx: LoadContext) -> None:
    doc, out = ctx.doc, ctx.collector
    for problem in doc.syntax_problems:
        shown = repr(problem.text.strip()) if problem.text.strip() else "this line"
        out.add("error", problem.file, problem.line, None, None,
                f"cannot parse {shown}: {problem.reason}",
                "write 'key = value' or '[section]'; indent continuation lines")
    for dup in doc.duplicates:
        first = f"{out.display(dup.first_file)}:{dup.first_line}"
        if dup.key is None:
            out.add("warning", dup.file, dup.line, dup.section, None,
                    f"section is repeated (first at {first})",
                    "merge the two sections",
                    "their keys are merged and later values win")
        else:
            out.add("warning", dup.file, dup.line, dup.section, dup.key,
                    f"key {dup.key!r} is set again (first at {first})",
                    "remove one of them", "the last value wins")
    for name, section in doc.sections.items():
        kind = kind_of(name)
        if kind is None:
            out.add("warning", section.file, section.line, name, None,
                    "unknown section", _section_suggestion(name), IGNORED)
            continue
        if kind.open_keys:
            continue
        allowed = key_names(kind)
        for key, entry in section.entries.items():
            if key not in allowed:
                out.add("warning", entry.file, entry.line, name, key,
                        f"unknown key {key!r}",
                        did_you_mean(key, allowed) or _elsewhere(key), IGNORED)
    if doc.defaults is not None:
        for key, entry in doc.defaults.entries.items():
            if key not in ALL_KEY_NAMES:
                out.add("warning", entry.file, entry.line, DEFAULT_SECTION, key,
                        f"unknown key {key!r}", did_you_mean(key, ALL_KEY_NAMES), IGNORED)


def _section_suggestion(name: str) -> str | None:
    prefix, sep, rest = name.partition(":")
    match = closest(prefix, (*_EXACT, *_PREFIXED))
    if match is None:
        return None
    if match in _PREFIXED:
        return f"did you mean [{match}:{rest or 'name'}]?"
    return f"did you mean [{match}{sep}{rest}]?"


def _elsewhere(key: str) -> str | None:
    owners = [k.header for k in SECTION_KINDS if key in key_names(k)]
    return f"it belongs in {', '.join(owners)}" if owners else None
