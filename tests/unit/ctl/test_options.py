"""Command line and [supervisorctl] config handling."""

from __future__ import annotations

from pathlib import Path

import pytest

from minder.ctl.options import HelpRequested, UsageError, parse, search_paths


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "supervisord.conf"
    path.write_text(text)
    return str(path)


def test_defaults_without_any_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = parse(["status"], environ={}, argv0=str(tmp_path / "bin" / "minderctl"))
    assert options.serverurl == "http://localhost:9001"
    assert options.prompt == "supervisor"
    assert options.args == ["status"]
    assert options.interactive is False


def test_no_command_means_interactive(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert parse([], environ={}, argv0="/nowhere/bin/x").interactive is True


def test_options_stop_at_the_command(tmp_path: Path) -> None:
    conf = write(tmp_path, "[supervisorctl]\n")
    options = parse(["-c", conf, "tail", "-f", "web"], environ={})
    assert options.args == ["tail", "-f", "web"]


def test_config_values_and_expansions(tmp_path: Path) -> None:
    conf = write(
        tmp_path,
        "[supervisorctl]\n"
        "serverurl = unix://%(here)s/run/../x.sock\n"
        "username = %(ENV_WHO)s\n"
        "password = secret\n"
        "prompt = mine\n"
        "history_file = %(here)s/hist\n",
    )
    options = parse(["-c", conf], environ={"WHO": "carol"})
    assert options.serverurl == f"unix://{tmp_path}/x.sock"
    assert options.username == "carol"
    assert options.password == "secret"
    assert options.prompt == "mine"
    assert options.history_file == f"{tmp_path}/hist"


def test_command_line_beats_config(tmp_path: Path) -> None:
    conf = write(tmp_path, "[supervisorctl]\nserverurl=unix:///a.sock\nusername=u\n")
    options = parse(
        ["-c", conf, "-s", "http://h:1", "-u", "x", "--password=y", "-r", str(tmp_path / "h"),
         "status"],
        environ={},
    )
    assert (options.serverurl, options.username, options.password) == ("http://h:1", "x", "y")
    assert options.history_file == str(tmp_path / "h")


@pytest.mark.parametrize("spelling", ["--history-file", "--history_file"])
def test_history_file_long_options_work(tmp_path: Path, spelling: str) -> None:
    conf = write(tmp_path, "[supervisorctl]\n")
    options = parse(["-c", conf, spelling, str(tmp_path / "h")], environ={})
    assert options.history_file == str(tmp_path / "h")


def test_grouped_short_options(tmp_path: Path) -> None:
    conf = write(tmp_path, "[supervisorctl]\n")
    options = parse(["-ic" + conf, "shutdown"], environ={})
    assert options.interactive is True
    assert options.args == ["shutdown"]


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["-s", "foo"], "value 'foo' is not a URL"),
        (["-x"], "option -x not recognized"),
        (["--nope"], "option --nope not recognized"),
        (["-c"], "option -c requires argument"),
        (["-c", "/nonexistent/x.conf"], "could not find config file /nonexistent/x.conf"),
    ],
)
def test_usage_errors(argv: list[str], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        parse(argv, environ={})


def test_config_without_supervisorctl_section(tmp_path: Path) -> None:
    conf = write(tmp_path, "[supervisord]\n")
    with pytest.raises(UsageError, match="does not include supervisorctl section"):
        parse(["-c", conf], environ={})


def test_unknown_expansion_is_reported(tmp_path: Path) -> None:
    conf = write(tmp_path, "[supervisorctl]\nserverurl=unix://%(ENV_NOPE)s\n")
    with pytest.raises(UsageError, match="ENV_NOPE"):
        parse(["-c", conf], environ={})


def test_help() -> None:
    with pytest.raises(HelpRequested):
        parse(["-h"], environ={})


def test_search_path_is_supervisorctls() -> None:
    assert search_paths("/opt/venv/bin/minderctl") == [
        "/opt/venv/etc/supervisord.conf",
        "/opt/venv/supervisord.conf",
        "supervisord.conf",
        "etc/supervisord.conf",
        "/etc/supervisord.conf",
        "/etc/supervisor/supervisord.conf",
    ]


def test_search_finds_a_config_in_cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "[supervisorctl]\nserverurl=unix:///found.sock\n")
    monkeypatch.chdir(tmp_path)
    options = parse(["status"], environ={}, argv0="/nowhere/bin/minderctl")
    assert options.serverurl == "unix:///found.sock"
