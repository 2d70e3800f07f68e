"""The release habits: versions, help, several -s, generated docs, sample config, units, logs."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

import minder
from minder.config.sample import sample_config
from minder.config.schema import SECTION_KINDS
from minder.ctl.commands import MODULES
from minder.ctl.commands.fleet import host_label
from minder.ctl.commands.follow import expand_names
from minder.ctl.commands.startup import systemd_unit
from minder.ctl.completion import bash_script, install, zsh_script
from minder.ctl.helptext import SUMMARIES, commands_text
from minder.ctl.main import main as minderctl_main
from minder.ctl.options import UsageError, VersionRequested, parse
from minder.daemon import cli
from minder.daemon.manpages import PAGES
from minder.engine.logs.levels import Level
from minder.engine.logs.mainlog import (
    format_json_record,
    format_record,
    journal_line,
    stdout_is_journal,
)

ROOT = Path(__file__).resolve().parents[2]


# -- versions --------------------------------------------------------------------


def test_minderd_version_stays_supervisords_and_verbose_adds_minders() -> None:
    assert cli.version_text() == "4.3.0\n"
    verbose = cli.version_text(verbose=True).splitlines()
    assert verbose[0] == "4.3.0"  # a script reading one line still reads 4.3.0
    assert f"minder {minder.__version__}" in verbose[1]
    assert verbose[2].startswith("Python ") and "aiohttp" in verbose[2]
    assert cli.parse_args(["--version", "--verbose"]).verbose


def test_verbose_alone_is_a_usage_error() -> None:
    with pytest.raises(cli.UsageError, match="--verbose only goes with --version"):
        cli.parse_args(["--verbose"])


def test_the_version_is_written_once() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert not re.search(r'^version\s*=\s*"', pyproject, re.M)
    assert re.fullmatch(r"\d+\.\d+\.\d+", minder.__version__)


@pytest.mark.parametrize("flag", ["--version", "-v"])
def test_minderctl_version(flag: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(VersionRequested):
        parse([flag], environ={})
    assert minderctl_main([flag]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"minderctl {minder.__version__} ")
    assert "4.3.0" in out


# -- minderctl -h, several -s, tail -f all ----------------------------------------


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    assert minderctl_main(["-h"]) == 0
    out = capsys.readouterr().out
    assert "Commands:" in out
    for name in MODULES:
        assert re.search(rf"^  {re.escape(name)} +\S", out, re.M), name
    assert set(SUMMARIES) == set(MODULES)
    assert commands_text() in out


def test_several_servers_run_status_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    options = parse(["-s", "unix:///a.sock", "-s", "http://b:9001", "status"], environ={})
    assert options.serverurls == ["unix:///a.sock", "http://b:9001"]
    assert options.serverurl == "unix:///a.sock"
    with pytest.raises(UsageError, match="only 'status' runs on several servers, 'stop'"):
        parse(["-s", "unix:///a.sock", "-s", "http://b:9001", "stop", "all"], environ={})
    with pytest.raises(UsageError, match="the interactive shell needs exactly one"):
        parse(["-s", "unix:///a.sock", "--serverurl=http://b:9001"], environ={})
    same = parse(["-s", "unix:///a.sock", "-s", "unix:///a.sock", "stop", "x"], environ={})
    assert same.serverurls == []  # one server named twice is one server


def test_host_labels() -> None:
    assert host_label("http://web1:9001") == "web1:9001"
    assert host_label("unix:///run/a.sock") == "/run/a.sock"


def test_tail_all_selects_every_process() -> None:
    infos = [{"group": "web", "name": "web_0"}, {"group": "db", "name": "db"}]
    assert expand_names(infos, ["all"]) == (["web:web_0", "db"], [])


# -- generated files ----------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(PAGES))
def test_committed_man_pages_match_their_sources(name: str) -> None:
    committed = (ROOT / "docs" / "man" / name).read_text()
    assert committed == PAGES[name](), f"docs/man/{name} is stale: run `make docs`"


def test_man_pages_cover_every_option_command_and_key() -> None:
    minderd, minderctl, conf = (PAGES[n]() for n in ("minderd.1", "minderctl.1", "minder.conf.5"))
    for short, long, _field, _conv in cli._OPTIONS:
        if short == "?":
            continue  # -h's silent alias, in supervisord's help neither
        flag = f"--{long}" if long else f"-{short}"
        assert flag.replace("-", "\\-") in minderd, flag
    for name in SUMMARIES:
        assert f"\\fB{name}\\fR" in minderctl, name
    for kind in SECTION_KINDS:
        for key in kind.keys:
            assert key.name.replace("-", "\\-") in conf, key.name


def test_sample_config_lists_every_key_and_comments_minders() -> None:
    text = sample_config()
    shown = set(re.findall(r"^;?([a-z_.]+)\s*=", text, re.M))
    for kind in SECTION_KINDS:
        if kind.kind in ("fcgi-program", "ctlplugin"):
            continue  # not in echo_supervisord_conf either
        for key in kind.keys:
            assert key.name in shown, (kind.kind, key.name)
    for line in text.splitlines():
        if "minder only" in line:
            assert line.startswith(";"), line


# -- systemd ---------------------------------------------------------------------------


def test_systemd_unit_reloads_with_update_and_kills_mixed() -> None:
    unit = systemd_unit("/opt/m/bin/minderd", "/opt/m/bin/minderctl", "/etc/my conf.ini", True)
    assert 'ExecStart=/opt/m/bin/minderd -n -c "/etc/my conf.ini"' in unit
    assert 'ExecReload=/opt/m/bin/minderctl -c "/etc/my conf.ini" update' in unit
    for line in ("KillMode=mixed", "Delegate=yes", "Type=exec"):
        assert f"\n{line}\n" in unit
    assert "Documentation=man:minderd(1) https://" in unit
    assert "HUP" not in unit
    assert "man:" not in systemd_unit("/a", "/b", "/c", False).split("Documentation=")[1][:10]


def test_the_shipped_unit_is_the_generators() -> None:
    shipped = (ROOT / "examples" / "systemd" / "minderd.service").read_text()
    assert shipped == systemd_unit(
        "/opt/minder/bin/minderd", "/opt/minder/bin/minderctl",
        "/etc/supervisor/supervisord.conf", True,
    ), "regenerate examples/systemd/minderd.service with make docs"


# -- completion --------------------------------------------------------------------------


def test_completion_scripts_know_every_command() -> None:
    for script in (bash_script(), zsh_script()):
        for name in MODULES:
            assert name in script
    assert "complete -F _minderctl minderctl" in bash_script()
    assert zsh_script().startswith("#compdef minderctl\n")


def test_completion_install_goes_where_the_shell_looks(tmp_path: Path) -> None:
    environ = {"HOME": str(tmp_path)}
    path, hint = install("bash", environ)
    assert path == str(tmp_path / ".local/share/bash-completion/completions/minderctl")
    assert Path(path).read_text() == bash_script()
    path, hint = install("zsh", {**environ, "XDG_DATA_HOME": str(tmp_path / "x")})
    assert path == str(tmp_path / ".zfunc" / "_minderctl")
    assert "fpath" in hint


# -- the main log's formats ------------------------------------------------------------------


def test_json_records_carry_time_level_and_message() -> None:
    record = json.loads(format_json_record(Level.WARN, 'quote " and ✓', 0.5))
    assert record["level"] == "WARN" and record["message"] == 'quote " and ✓'
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.500[+-]\d\d:\d\d", record["time"])


def test_journal_lines_have_a_priority_and_no_second_timestamp() -> None:
    line = format_record(Level.ERRO, "spawnerr: bad", 0.0)
    assert journal_line(Level.ERRO, line) == b"<3>ERRO spawnerr: bad\n"
    assert journal_line(Level.INFO, format_record(Level.INFO, "x", 0.0)) == b"<6>INFO x\n"
    two = format_record(Level.CRIT, "first\nsecond", 0.0)
    assert journal_line(Level.CRIT, two) == b"<2>CRIT first\n<2>second\n"
    blob = format_json_record(Level.WARN, "w", 0.0)
    assert journal_line(Level.WARN, blob) == b"<4>" + blob


def test_journal_is_recognised_by_the_stream_systemd_names() -> None:
    status = os.fstat(1)
    assert stdout_is_journal({"JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino}"})
    assert not stdout_is_journal({"JOURNAL_STREAM": f"{status.st_dev}:{status.st_ino + 1}"})
    assert not stdout_is_journal({})


# -- the README as PyPI shows it --------------------------------------------------------------

REPOSITORY = "https://github.com/minderd/minderd"
IN_REPOSITORY = (f"{REPOSITORY}/blob/main/", f"{REPOSITORY}/tree/main/",
                 "https://raw.githubusercontent.com/minderd/minderd/main/")


def test_readme_links_work_on_pypi_and_name_files_that_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    links = re.findall(r"\]\(([^)\s]+)\)", readme)
    assert len(links) >= 10
    for link in links:
        assert link.startswith("https://"), f"{link}: relative links break on PyPI"
        for prefix in IN_REPOSITORY:
            if link.startswith(prefix):
                path = link.removeprefix(prefix).split("#")[0]
                assert (ROOT / path).exists(), f"{link} names {path}, which is not in the repo"
    assert "docs/images/webui.png" in readme
    assert "pipx install minderd" in readme and "pip install minderd" in readme
    assert "make test" in readme and "make run" in readme
    urls = re.findall(r'^\w+ = "(https://[^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert urls and all(u.startswith(REPOSITORY) for u in urls)


def test_make_run_installs_only_what_running_needs() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^run: \$\(RUN_STAMP\)$", makefile, re.M)
    recipe = makefile.split("$(RUN_STAMP): pyproject.toml", 1)[1].split("\n\n", 1)[0]
    assert "pip install -q -e .\n" in recipe and "[test]" not in recipe
    pyproject = (ROOT / "pyproject.toml").read_text()
    runtime = pyproject.split("dependencies = [", 1)[1].split("]", 1)[0]
    assert re.findall(r'"([a-z]+)', runtime) == ["aiohttp", "psutil"]
