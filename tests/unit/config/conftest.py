"""Helpers: write a config (and its includes) into a temp dir and load it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from minder.config import ConfigError, LoadResult, load

MINIMAL = "[supervisord]\nlogfile=%(here)s/d.log\npidfile=%(here)s/d.pid\nchildlogdir=%(here)s\n"

Write = Callable[..., Path]


@pytest.fixture
def write(tmp_path: Path) -> Write:
    """``write(text, name='supervisord.conf', daemon=True)`` → path of the written file."""

    def _write(text: str, name: str = "supervisord.conf", daemon: bool = True) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        body = textwrap.dedent(text).lstrip("\n")
        path.write_text((MINIMAL if daemon else "") + body)
        return path

    return _write


@pytest.fixture
def load_text(write: Write, tmp_path: Path) -> Callable[..., LoadResult]:
    def _load(text: str, environ: Mapping[str, str] | None = None, **kw: object) -> LoadResult:
        path = write(text, daemon=bool(kw.pop("daemon", True)))
        return load(str(path), environ=environ or {"HOME": "/root"}, cwd=str(tmp_path), **kw)  # type: ignore[arg-type]

    return _load


@pytest.fixture
def errors_of(write: Write, tmp_path: Path) -> Callable[..., list[str]]:
    """Load text that must fail; the rendered diagnostics (file:line: ...)."""

    def _errors(text: str, environ: Mapping[str, str] | None = None) -> list[str]:
        path = write(text)
        with pytest.raises(ConfigError) as info:
            load(str(path), environ=environ or {"HOME": "/root"}, cwd=str(tmp_path))
        return [str(d) for d in info.value.diagnostics]

    return _errors


# the [supervisord] preamble above is 4 lines, so a test's first line is line 5
FIRST = 5
