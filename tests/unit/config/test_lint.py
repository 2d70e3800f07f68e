"""What supervisord ignores silently is reported here (reference §2.1)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minder.config import LoadResult


def warnings_of(load_text: Callable[..., LoadResult], text: str) -> list[str]:
    return [str(d) for d in load_text(text).diagnostics]


@pytest.mark.parametrize(
    ("section", "suggestion"),
    [("programs:x", "did you mean [program:x]?"), ("Program:x", "did you mean [program:x]?"),
     ("grup:x", "did you mean [group:x]?"), ("supervisor", "did you mean [supervisord]?"),
     ("event-listener:x", "did you mean [eventlistener:x]?"),
     ("program", "did you mean [program:name]?"), ("totally_else", None)],
)
def test_unknown_sections(load_text: Callable[..., LoadResult], section: str,
                          suggestion: str | None) -> None:
    (warning,) = load_text(f"[{section}]\nx=1\n").diagnostics
    assert (warning.file, warning.line, warning.section) == ("supervisord.conf", 5, section)
    assert warning.message == "unknown section"
    assert warning.suggestion == suggestion
    assert warning.note == "supervisord ignores it silently"


@pytest.mark.parametrize(
    ("key", "suggestion"),
    [("startsec", "did you mean 'startsecs'?"), ("autorestrat", "did you mean 'autorestart'?"),
     ("stdout_log", "did you mean 'stdout_logfile'?"),
     ("events", "it belongs in [eventlistener:x]"), ("xyzzy", None)],
)
def test_unknown_program_keys(load_text: Callable[..., LoadResult], key: str,
                              suggestion: str | None) -> None:
    (warning,) = load_text(f"[program:a]\ncommand=/bin/true\n{key}=1\n").diagnostics
    assert (warning.line, warning.section, warning.key) == (7, "program:a", key)
    assert (warning.message, warning.suggestion) == (f"unknown key {key!r}", suggestion)


def test_unknown_default_key(load_text: Callable[..., LoadResult]) -> None:
    (warning,) = load_text("[DEFAULT]\nstartsec=1\n").diagnostics
    assert str(warning) == (
        "supervisord.conf:6: warning: [DEFAULT] unknown key 'startsec' (did you mean "
        "'startsecs'?) — supervisord ignores it silently")


def test_rpcinterface_keys_are_open(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[rpcinterface:x]\nsupervisor.rpcinterface_factory=a:b\nanything=1\n")
    assert result.diagnostics == []


def test_duplicate_keys_and_sections(load_text: Callable[..., LoadResult]) -> None:
    assert warnings_of(load_text, """
        [program:a]
        command=/bin/true
        priority=1
        priority=2
        [program:a]
        autostart=false
        """) == [
        "supervisord.conf:8: warning: [program:a] key 'priority' is set again (first at "
        "supervisord.conf:7) (remove one of them) — the last value wins",
        "supervisord.conf:9: warning: [program:a] section is repeated (first at "
        "supervisord.conf:5) (merge the two sections) — their keys are merged and later "
        "values win",
    ]


def test_last_duplicate_wins(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\npriority=1\npriority=2\n")
    assert result.root.groups[0].priority == 2


def test_syntax_error_names_the_line(errors_of: Callable[..., list[str]]) -> None:
    assert errors_of("[program:a]\ncommand=/bin/true\ngarbage line here\n") == [
        "supervisord.conf:7: error: cannot parse 'garbage line here': not 'key = value' and not "
        "a [section] (write 'key = value' or '[section]'; indent continuation lines)"
    ]
