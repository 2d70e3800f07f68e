"""[include] (reference §1.7) and the search path with no -c (§1.1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from minder.config import ConfigError, find_config_file, load
from tests.unit.config.conftest import Write


def test_globs_relative_to_the_main_file_in_sorted_order(write: Write, tmp_path: Path) -> None:
    main = write("[include]\nfiles = conf.d/*.conf extra/one.ini\n")
    write("[program:b]\ncommand=%(here)s/b\n", "conf.d/20-b.conf", daemon=False)
    write("[program:a]\ncommand=%(here)s/a\npriority=1\n", "conf.d/10-a.conf", daemon=False)
    write("[program:c]\ncommand=/bin/c\n", "extra/one.ini", daemon=False)
    result = load(str(main), environ={}, cwd="/")
    root = result.root
    assert root.included_files == (
        str(tmp_path / "conf.d/10-a.conf"), str(tmp_path / "conf.d/20-b.conf"),
        str(tmp_path / "extra/one.ini"))
    commands = {g.name: g.processes[0].command for g in root.groups}
    # %(here)s of an included file is that file's own directory
    assert commands == {"a": f"{tmp_path}/conf.d/a", "b": f"{tmp_path}/conf.d/b", "c": "/bin/c"}
    assert result.diagnostics == []


def test_diagnostics_name_the_included_file_and_line(write: Write, tmp_path: Path) -> None:
    main = write("[include]\nfiles = conf.d/*.conf\n")
    write("[program:web]\ncommand=/bin/true\n\nstartsec=15\n", "conf.d/tools.conf", daemon=False)
    (warning,) = load(str(main), environ={}, cwd="/").diagnostics
    assert str(warning) == (
        "conf.d/tools.conf:4: warning: [program:web] unknown key 'startsec' "
        "(did you mean 'startsecs'?) — supervisord ignores it silently")


def test_include_expands_env_and_host(write: Write, tmp_path: Path) -> None:
    main = write("[include]\nfiles = %(ENV_DIR)s/*.conf\n")
    write("[program:x]\ncommand=/bin/true\n", "d/x.conf", daemon=False)
    result = load(str(main), environ={"DIR": "d"}, cwd="/")
    assert [g.name for g in result.root.groups] == ["x"]


def test_pattern_without_match_warns(write: Write) -> None:
    main = write("[include]\nfiles = nothing/*.conf\n")
    (warning,) = load(str(main), environ={}, cwd="/").diagnostics
    assert str(warning) == (
        'supervisord.conf:6: warning: [include] No file matches via include "nothing/*.conf" '
        "(fix the pattern or remove it)")


def test_include_without_files_is_an_error(write: Write) -> None:
    main = write("[include]\n")
    with pytest.raises(ConfigError, match="has \\[include\\] section, but no files setting"):
        load(str(main), environ={}, cwd="/")


def test_nested_include_is_not_processed(write: Write) -> None:
    main = write("[include]\nfiles = a.conf\n")
    write("[include]\nfiles = b.conf\n", "a.conf", daemon=False)
    write("[program:b]\ncommand=/bin/true\n", "b.conf", daemon=False)
    result = load(str(main), environ={}, cwd="/")
    assert result.root.groups == ()
    assert [str(d) for d in result.diagnostics] == [
        "a.conf:1: warning: [include] section is repeated (first at supervisord.conf:5) "
        "(merge the two sections) — their keys are merged and later values win",
        "a.conf:2: warning: [include] [include] in an included file is not processed "
        "(move the pattern to the main file's [include]) — supervisord ignores nested includes",
        "a.conf:2: warning: [include] key 'files' is set again (first at supervisord.conf:6) "
        "(remove one of them) — the last value wins",
    ]


def test_missing_main_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"could not find config file .*nope\.conf"):
        load(str(tmp_path / "nope.conf"), environ={}, cwd=str(tmp_path))


def test_search_order(tmp_path: Path) -> None:
    bin_dir = tmp_path / "venv" / "bin"
    bin_dir.mkdir(parents=True)
    argv0 = str(bin_dir / "minderd")
    cwd = tmp_path / "work"
    cwd.mkdir()
    candidates = [cwd / "etc" / "supervisord.conf", cwd / "supervisord.conf",
                  bin_dir / ".." / "supervisord.conf",
                  bin_dir / ".." / "etc" / "supervisord.conf"]
    for path in candidates:  # least preferred first, so each one shadows the one before
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("[supervisord]\n")
        assert find_config_file(argv0, str(cwd)) == str(path)


def test_no_file_found_lists_the_paths(tmp_path: Path) -> None:
    import os

    if os.path.exists("/etc/supervisord.conf") or os.path.exists(
            "/etc/supervisor/supervisord.conf"):
        pytest.skip("this machine has a system-wide supervisord.conf")
    assert find_config_file(str(tmp_path / "bin" / "x"), str(tmp_path)) is None
    with pytest.raises(ConfigError, match="No config file found at default paths"):
        load(None, environ={}, cwd=str(tmp_path))
