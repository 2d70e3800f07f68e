"""minderd's command line: supervisord's flags, values and error messages."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minder.daemon.cli import (
    DaemonOptions,
    UsageError,
    apply_to_spec,
    parse_args,
    usage_text,
    version_text,
)
from minder.model.specs import DaemonSpec


def error_of(argv: list[str]) -> str:
    with pytest.raises(UsageError) as info:
        parse_args(argv)
    return info.value.message


def test_no_arguments_means_nothing_overridden() -> None:
    assert parse_args([]) == DaemonOptions()


def test_every_value_option(tmp_path: Path) -> None:
    options = parse_args(
        [
            "-c", "/etc/x.conf", "-u", "nobody", "-m", "027", "-d", str(tmp_path),
            "-l", str(tmp_path / "d.log"), "-y", "5MB", "-z", "3", "-e", "DEBUG",
            "-j", str(tmp_path / "d.pid"), "-i", "ident", "-q", str(tmp_path),
            "-a", "4096", "--minprocs", "300", "--profile_options", "calls",
        ]
    )  # fmt: skip
    assert options == DaemonOptions(
        configuration="/etc/x.conf",
        user="nobody",
        umask=0o27,
        directory=str(tmp_path),
        logfile=str(tmp_path / "d.log"),
        logfile_maxbytes=5 * 1024 * 1024,
        logfile_backups=3,
        loglevel="debug",
        pidfile=str(tmp_path / "d.pid"),
        identifier="ident",
        childlogdir=str(tmp_path),
        minfds=4096,
        minprocs=300,
        profile_options="calls",
    )


def test_flags_and_long_forms() -> None:
    options = parse_args(
        ["--nodaemon", "--silent", "--nocleanup", "--strip_ansi", "--check", "--strict"]
    )
    assert options.nodaemon and options.silent and options.nocleanup and options.strip_ansi
    assert options.check and options.strict
    assert parse_args(["-nskt"]) == DaemonOptions(
        nodaemon=True, silent=True, nocleanup=True, strip_ansi=True
    )


def test_getopt_forms_supervisord_accepts() -> None:
    assert parse_args(["-cfoo.conf"]).configuration == "foo.conf"
    assert parse_args(["--configuration=foo.conf"]).configuration == "foo.conf"
    assert parse_args(["--vers"]).show_version  # a unique prefix
    assert parse_args(["-?"]).show_help and parse_args(["--help"]).show_help


def test_relative_paths_become_absolute_against_the_cwd() -> None:
    assert parse_args(["-l", "x.log"]).logfile == os.path.join(os.getcwd(), "x.log")
    assert parse_args(["-l", "syslog"]).logfile == "syslog"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--bogus"], "option --bogus not recognized"),
        (["-x"], "option -x not recognized"),
        (["extra"], "positional arguments are not supported: ['extra']"),
        (["x", "-n"], "positional arguments are not supported: ['x', '-n']"),
        (["-h", "extra"], "positional arguments are not supported: ['extra']"),
        (["-c", "a", "-c", "b"], "conflicting command line option '-c'"),
        (["-c", "a", "--configuration", "b"], "conflicting command line option '--configuration'"),
        (["-n", "-n"], "conflicting command line option '-n'"),
        (["-y"], "option -y requires argument"),
        (["--nodaemon=true"], "option --nodaemon must not have an argument"),
        (["--min", "5"], "option --min not a unique prefix"),
        (["-e", "bogus"], "invalid value for -e 'bogus': bad logging level name 'bogus'"),
        (["-e", "warning"], "invalid value for -e 'warning': bad logging level name 'warning'"),
        (["-m", "999"], "invalid value for -m '999': 999 can not be converted to an octal type"),
        (["-z", "x"], "invalid value for -z 'x': invalid literal for int() with base 10: 'x'"),
        (
            ["-y", "5XB"],
            "invalid value for -y '5XB': invalid literal for int() with base 10: '5xb'",
        ),
        (
            ["--minprocs", "x"],
            "invalid value for --minprocs 'x': invalid literal for int() with base 10: 'x'",
        ),
        (
            ["-l", "/nonexistent-dir/x.log"],
            "invalid value for -l '/nonexistent-dir/x.log': The directory named as part of "
            "the path /nonexistent-dir/x.log does not exist",
        ),
        (
            ["-q", "/nonexistent-dir"],
            "invalid value for -q '/nonexistent-dir': /nonexistent-dir is not an existing "
            "directory",
        ),
    ],
)
def test_errors_read_like_supervisords(argv: list[str], message: str) -> None:
    assert error_of(argv) == message


def test_rendered_error_points_to_help() -> None:
    error = UsageError("option --bogus not recognized")
    assert error.render("minderd") == (
        "Error: option --bogus not recognized\nFor help, use minderd -h\n"
    )


def test_help_and_version_texts() -> None:
    text = usage_text("minderd")
    for flag in ("-c/--configuration", "--minprocs", "-t/--strip_ansi", "--check", "--strict"):
        assert flag in text
    assert version_text() == "4.3.0\n"


def test_command_line_beats_the_config() -> None:
    spec = DaemonSpec(loglevel="warn", logfile="/var/log/a.log", nodaemon=False, minfds=10)
    merged = apply_to_spec(spec, parse_args(["-e", "debug", "-n", "-a", "2048", "-i", "x"]))
    assert merged.loglevel == "debug"
    assert merged.nodaemon is True
    assert merged.minfds == 2048
    assert merged.identifier == "x"
    assert merged.logfile == "/var/log/a.log"  # not given: the config's value stays


def test_flags_only_switch_settings_on() -> None:
    spec = DaemonSpec(nodaemon=True, strip_ansi=True)
    assert apply_to_spec(spec, parse_args([])) is spec


def test_user_is_resolved_to_ids() -> None:
    merged = apply_to_spec(DaemonSpec(), parse_args(["-u", "0"]))
    assert (merged.user, merged.uid, merged.gid) == ("0", 0, 0)


def test_unknown_user_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Invalid user name nosuchuserzz"):
        apply_to_spec(DaemonSpec(), parse_args(["-u", "nosuchuserzz"]))
