"""[supervisord] → DaemonSpec (reference §1.3)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.config import ConfigError, LoadResult, load
from tests.unit.config.conftest import Write


def test_defaults(write: Write, tmp_path: Path) -> None:
    path = write("[supervisord]\n", daemon=False)
    d = load(str(path), environ={}, cwd=str(tmp_path)).root.daemon
    assert d.logfile == str(tmp_path / "supervisord.log")  # against cwd, not the config dir
    assert d.pidfile == str(tmp_path / "supervisord.pid")
    assert (d.logfile_maxbytes, d.logfile_backups, d.loglevel) == (50 * 1024**2, 10, "info")
    assert (d.umask, d.nodaemon, d.silent, d.minfds, d.minprocs) == (0o22, False, False, 1024, 200)
    assert d.childlogdir == tempfile.gettempdir()
    assert (d.user, d.directory, d.strip_ansi, d.identifier, d.strict) == (
        None, None, False, "supervisor", False)


def test_every_key(write: Write, tmp_path: Path) -> None:
    (tmp_path / "logs").mkdir()
    path = write("""
        [supervisord]
        logfile=%(here)s/logs/main.log
        logfile_maxbytes=1KB
        logfile_backups=0
        loglevel=DEBUG
        pidfile=%(ENV_RUN)s/d.pid
        umask=077
        nodaemon=true
        silent=yes
        minfds=4096
        minprocs=10
        nocleanup=on
        childlogdir=%(here)s/logs
        user=www-data
        directory=%(here)s
        strip_ansi=1
        environment=A="1",B=two
        identifier=box
        strict=false
        """, daemon=False)
    d = load(str(path), environ={"RUN": str(tmp_path)}, cwd="/").root.daemon
    assert d.logfile == str(tmp_path / "logs" / "main.log")
    assert (d.logfile_maxbytes, d.logfile_backups, d.loglevel) == (1024, 0, "debug")
    assert d.pidfile == str(tmp_path / "d.pid")
    assert (d.umask, d.nodaemon, d.silent, d.minfds, d.minprocs, d.nocleanup) == (
        0o77, True, True, 4096, 10, True)
    assert d.childlogdir == str(tmp_path / "logs")
    assert (d.user, d.uid, d.gid) == ("www-data", 33, 33)
    assert d.directory == str(tmp_path)
    assert d.environment == (("A", "1"), ("B", "two"))
    assert (d.strip_ansi, d.identifier) == (True, "box")


def test_logfile_syslog(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[supervisord]\nlogfile=syslog\n", daemon=False)
    assert result.root.daemon.logfile == "syslog"


def test_missing_section_is_an_error(write: Write, tmp_path: Path) -> None:
    path = write("[program:a]\ncommand=/bin/true\n", daemon=False)
    with pytest.raises(ConfigError) as info:
        load(str(path), environ={}, cwd=str(tmp_path))
    assert str(info.value) == (
        "supervisord.conf: error: .ini file does not include supervisord section "
        "(add a [supervisord] section)"
    )


def test_host_node_name_is_not_available(errors_of: Callable[..., list[str]]) -> None:
    # errors_of prepends a valid [supervisord]; a repeated section merges (and warns)
    errors = errors_of("[supervisord]\nidentifier=%(host_node_name)s\n")
    assert any("supervisord.conf:6: error: [supervisord] Format string" in e
               and "('host_node_name') which cannot be expanded" in e for e in errors)


def test_environment_may_use_host_node_name(load_text: Callable[..., LoadResult]) -> None:
    import platform

    root = load_text("[supervisord]\nenvironment=H=%(host_node_name)s\n", daemon=False).root
    assert root.daemon.environment == (("H", platform.node()),)


@pytest.mark.parametrize(
    ("line", "message"),
    [("loglevel=warning", "bad logging level name 'warning'"),
     ("umask=8", "8 can not be converted to an octal type"),
     ("nodaemon=maybe", "not a valid boolean value: 'maybe'"),
     ("directory=/nonexistent/x", "/nonexistent/x is not an existing directory"),
     ("logfile=/nonexistent/x/d.log", "The directory named as part of the path"),
     ("user=nosuchuser", "Invalid user name nosuchuser"),
     ("minfds=lots", "invalid literal for int() with base 10: 'lots'")],
)
def test_bad_values_name_the_line(write: Write, tmp_path: Path, line: str, message: str) -> None:
    path = write(f"[supervisord]\n\n{line}\n", daemon=False)
    with pytest.raises(ConfigError) as info:
        load(str(path), environ={}, cwd=str(tmp_path))
    (diag,) = info.value.diagnostics
    assert (diag.file, diag.line, diag.section, diag.key) == (
        "supervisord.conf", 3, "supervisord", line.split("=")[0])
    assert message in diag.message


def test_strict_key_turns_warnings_into_errors(write: Write, tmp_path: Path) -> None:
    path = write("[supervisord]\nstrict=true\nbogus=1\n", daemon=False)
    with pytest.raises(ConfigError) as info:
        load(str(path), environ={}, cwd=str(tmp_path))
    assert str(info.value).startswith(
        "supervisord.conf:3: error: [supervisord] unknown key 'bogus'")


def test_strict_argument_turns_warnings_into_errors(write: Write, tmp_path: Path) -> None:
    path = write("[supervisord]\nbogus=1\n", daemon=False)
    assert len(load(str(path), environ={}, cwd=str(tmp_path)).diagnostics) == 1
    with pytest.raises(ConfigError):
        load(str(path), environ={}, cwd=str(tmp_path), strict=True)
