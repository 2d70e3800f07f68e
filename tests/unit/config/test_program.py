"""[program:x] → ProcessSpecs (reference §1.8, §1.13, §1.14)."""

from __future__ import annotations

import platform
from collections.abc import Callable
from pathlib import Path

import pytest

from minder.config import ConfigError, LoadResult, load
from minder.model.specs import AutoRestart, GroupKind, LogSpec, ProcessSpec
from tests.unit.config.conftest import Write


def only(result: LoadResult) -> ProcessSpec:
    (group,) = result.root.groups
    (process,) = group.processes
    return process


def test_defaults(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:cat]\ncommand=/bin/cat\n")
    (group,) = result.root.groups
    assert (group.name, group.kind, group.priority) == ("cat", GroupKind.PROGRAM, 999)
    p = only(result)
    assert (p.name, p.program_name, p.command, p.process_num, p.numprocs) == (
        "cat", "cat", "/bin/cat", 0, 1)
    assert (p.directory, p.umask, p.priority, p.autostart, p.autorestart) == (
        None, None, 999, True, AutoRestart.UNEXPECTED)
    assert (p.startsecs, p.startretries, p.exitcodes, p.stopsignal, p.stopwaitsecs) == (
        1, 3, (0,), 15, 10)
    assert (p.stopasgroup, p.killasgroup, p.user, p.uid, p.redirect_stderr) == (
        False, False, None, None, False)
    assert p.stdout == LogSpec() and p.stderr == LogSpec()
    assert (p.environment, p.serverurl, p.depends_on) == ((), None, ())
    assert result.diagnostics == []


def test_every_key(load_text: Callable[..., LoadResult], tmp_path: Path) -> None:
    p = only(load_text("""
        [program:web]
        command=/bin/sh -c "echo %(program_name)s"
        process_name=%(program_name)s-x
        priority=5
        autostart=false
        startsecs=0
        startretries=7
        autorestart=true
        exitcodes=0,2
        stopsignal=INT
        stopwaitsecs=3
        stopasgroup=true
        user=www-data
        stdout_logfile=%(here)s/out.log
        stdout_logfile_maxbytes=1MB
        stdout_logfile_backups=2
        stdout_capture_maxbytes=1KB
        stdout_events_enabled=true
        stdout_syslog=true
        stderr_logfile=NONE
        environment=A="1 2",B=%(program_name)s
        directory=/srv
        umask=002
        serverurl=http://example:1
        """))
    assert (p.name, p.command) == ("web-x", '/bin/sh -c "echo web"')
    assert (p.priority, p.autostart, p.startsecs, p.startretries) == (5, False, 0, 7)
    assert (p.autorestart, p.exitcodes, p.stopsignal, p.stopwaitsecs) == (
        AutoRestart.ALWAYS, (0, 2), 2, 3)
    assert (p.stopasgroup, p.killasgroup) == (True, True)  # stopasgroup implies killasgroup
    assert (p.user, p.uid, p.gid) == ("www-data", 33, 33)
    assert p.stdout == LogSpec(path=str(tmp_path / "out.log"), auto=False, maxbytes=1024**2,
                               backups=2, capture_maxbytes=1024, events_enabled=True,
                               syslog=True)
    assert p.stderr == LogSpec(path=None, auto=False)
    assert p.environment == (("A", "1 2"), ("B", "web"))
    assert (p.directory, p.umask, p.serverurl) == ("/srv", 0o2, "http://example:1")


def test_log_spellings(load_text: Callable[..., LoadResult]) -> None:
    p = only(load_text("""
        [program:a]
        command=/bin/true
        stdout_logfile=auto
        stderr_logfile=off
        """))
    assert (p.stdout.auto, p.stdout.path) == (True, None)
    assert (p.stderr.auto, p.stderr.path) == (False, None)


def test_syslog_logfile_is_deprecated(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\nstdout_logfile=syslog\n")
    assert only(result).stdout.syslog is True
    (warning,) = result.diagnostics
    assert str(warning) == (
        "supervisord.conf:7: warning: [program:a] stdout_logfile=syslog is deprecated "
        "(use stdout_syslog=true instead)")


def test_redirect_stderr_ignores_stderr_logfile(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [program:a]
        command=/bin/true
        redirect_stderr=true
        stderr_logfile=/tmp/x.log
        """)
    p = only(result)
    assert p.redirect_stderr and p.stderr.path is None and not p.stderr.auto
    assert [d.key for d in result.diagnostics] == ["stderr_logfile"]


def test_auto_log_without_rotation_warns(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\nstdout_logfile_maxbytes=0\n")
    (warning,) = result.diagnostics
    assert "AUTO logging used for stdout_logfile without rollover" in warning.message


def test_numprocs_names_and_process_num(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("""
        [program:env]
        command=/bin/echo %(process_num)d of %(numprocs)d
        process_name=%(program_name)s-%(process_num)02d
        numprocs=3
        numprocs_start=5
        environment=N=%(process_num)d
        directory=/tmp/%(ENV_N)s
        """).root.groups
    assert [p.name for p in group.processes] == ["env-05", "env-06", "env-07"]
    assert [p.command for p in group.processes] == [f"/bin/echo {n} of 3" for n in (5, 6, 7)]
    assert [p.environment for p in group.processes] == [(("N", str(n)),) for n in (5, 6, 7)]
    assert [p.directory for p in group.processes] == ["/tmp/5", "/tmp/6", "/tmp/7"]


def test_expansion_names(load_text: Callable[..., LoadResult], tmp_path: Path) -> None:
    p = only(load_text("""
        [supervisord]
        environment=GLOBAL=g
        [program:a]
        command=%(here)s %(program_name)s %(group_name)s %(host_node_name)s
          %(ENV_HOME)s %(ENV_GLOBAL)s 100%%
        """, environ={"HOME": "/home/x"}))
    assert p.command == f"{tmp_path} a a {platform.node()}\n/home/x g 100%"


@pytest.mark.parametrize(
    ("line", "message"),
    [("priority=%(process_num)s", "('process_num') which cannot be expanded"),
     ("command=/bin/echo %(foo)s", "('foo') which cannot be expanded"),
     ("command=/bin/echo 100%", "is badly formatted"),
     ("command=/bin/echo %(ENV_NOPE)s", "('ENV_NOPE') which cannot be expanded")],
)
def test_expansion_errors(errors_of: Callable[..., list[str]], line: str, message: str) -> None:
    errors = errors_of(f"[program:a]\ncommand=/bin/true\n{line}\n")
    assert any(message in e and e.startswith("supervisord.conf:7: error: [program:a]")
               for e in errors), errors


def test_unknown_env_name_explains_itself(errors_of: Callable[..., list[str]]) -> None:
    (error,) = errors_of("[program:a]\ncommand=%(ENV_NOPE)s\n")
    assert "(the variable NOPE is not set in the environment)" in error


def test_misspelt_expansion_gets_did_you_mean(errors_of: Callable[..., list[str]]) -> None:
    (error,) = errors_of("[program:a]\ncommand=%(program)s\n")
    assert "(did you mean 'program_name'?)" in error


@pytest.mark.parametrize(
    ("lines", "message"),
    [("numprocs=2", "%(process_num) must be present within process_name when numprocs > 1"),
     ("process_name=a b", "Invalid name: 'a b' because of character: ' '"),
     ("process_name=%(ENV_X)s", "Invalid name: 'x:y' because of character: ':'"),
     ("numprocs=0", "0 is below lower bound (1)"),
     ("stopasgroup=true\nkillasgroup=false", "Cannot set stopasgroup=true and killasgroup=false"),
     ("user=+0", "Invalid user name +0"),
     ("user=٠", "Invalid user name ٠"),
     ("autorestart=sometimes", "invalid 'autorestart' value 'sometimes'"),
     ("exitcodes=0,256", "not a valid list of exit codes: '0,256'"),
     ("stdout_logfile=/nonexistent/dir/x.log",
      "The directory named as part of the path /nonexistent/dir/x.log does not exist"),
     ("environment=E=a b", "environment value for E is cut short at 'b'")],
)
def test_errors(errors_of: Callable[..., list[str]], lines: str, message: str) -> None:
    errors = errors_of(f"[program:a]\ncommand=/bin/true\n{lines}\n", environ={"X": "x:y"})
    assert any(message in e for e in errors), errors


def test_missing_command(errors_of: Callable[..., list[str]]) -> None:
    assert errors_of("[program:a]\npriority=1\n") == [
        "supervisord.conf:5: error: [program:a] program section does not specify a command "
        "(add command=/path/to/program --its --arguments)"
    ]


def test_bad_program_name(errors_of: Callable[..., list[str]]) -> None:
    (error,) = errors_of("[program:a b]\ncommand=/bin/true\n")
    assert error.startswith("supervisord.conf:5: error: [program:a b] Invalid name: 'a b'")


def test_default_section_applies_to_programs(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [DEFAULT]
        startsecs=0
        [program:a]
        command=/bin/true
        [program:b]
        command=/bin/true
        startsecs=4
        """)
    assert [g.processes[0].startsecs for g in result.root.groups] == [0, 4]


def test_groups_sorted_by_priority_then_name(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [program:b]
        command=/bin/true
        [program:a]
        command=/bin/true
        [program:z]
        command=/bin/true
        priority=1
        """)
    assert [g.name for g in result.root.groups] == ["z", "a", "b"]


def test_provenance(load_text: Callable[..., LoadResult], tmp_path: Path) -> None:
    result = load_text("[program:a]\ncommand=/bin/true\n")
    p = only(result)
    assert p.source is not None
    assert (p.source.file, p.source.line) == (str(tmp_path / "supervisord.conf"), 5)


def test_depends_on(load_text: Callable[..., LoadResult]) -> None:
    result = load_text("""
        [program:db]
        command=/bin/true
        [program:web]
        command=/bin/true
        depends_on=db, cache
        [program:cache]
        command=/bin/true
        """)
    web = result.root.group("web")
    assert web is not None and web.processes[0].depends_on == ("db", "cache")


def test_depends_on_errors(errors_of: Callable[..., list[str]]) -> None:
    errors = errors_of("""
        [program:a]
        command=/bin/true
        depends_on=b
        [program:b]
        command=/bin/true
        depends_on=a, cahce
        [program:cache]
        command=/bin/true
        """)
    assert errors == [
        "supervisord.conf:7: error: [program:a] depends_on forms a cycle: a -> b -> a "
        "(remove one of these dependencies)",
        "supervisord.conf:10: error: [program:b] depends_on names unknown program 'cahce' "
        "(did you mean 'cache'?)",
    ]


def test_missing_key_diagnostic_names_the_key(write: Write, tmp_path: Path) -> None:
    path = write("[program:a]\npriority=1\n")
    with pytest.raises(ConfigError) as info:
        load(str(path), environ={}, cwd=str(tmp_path))
    (diag,) = info.value.diagnostics
    assert (diag.file, diag.line, diag.section, diag.key) == (
        "supervisord.conf", 5, "program:a", "command")


def test_percent_in_log_path_and_daemon_environment_expands_once(
    load_text: Callable[..., LoadResult], tmp_path: Path,
) -> None:
    result = load_text("""
        [supervisord]
        environment=RATE="100%%"
        [program:a]
        command=/bin/true
        stdout_logfile=%(here)s/a%%b.log
        """)
    assert result.root.daemon.environment == (("RATE", "100%"),)
    assert only(result).stdout.path == f"{tmp_path}/a%b.log"
