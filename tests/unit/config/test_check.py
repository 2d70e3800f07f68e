"""run_check / python -m minder.config.check: report, summary and exit status."""

from __future__ import annotations

import io
from pathlib import Path

from minder.config.check import main, run_check
from tests.unit.config.conftest import Write


def run(path: Path, strict: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    return run_check(str(path), strict=strict, out=out), out.getvalue()


def test_clean_config_exits_0_with_a_summary(write: Write) -> None:
    path = write("""
        [program:web]
        command=/bin/true
        process_name=%(program_name)s_%(process_num)d
        numprocs=3
        [eventlistener:mon]
        command=/bin/cat
        events=TICK_60
        [group:g]
        programs=web
        """)
    assert run(path) == (0, "1 program (3 processes) in 1 group, 1 event listener pool, "
                            "0 files included; 0 errors, 0 warnings\n")


def test_warnings_exit_1_and_strict_exits_2(write: Write) -> None:
    path = write("[program:a]\ncommand=/bin/true\nstartsec=1\n")
    code, report = run(path)
    assert code == 1 and report.endswith("0 errors, 1 warning\n")
    code, report = run(path, strict=True)
    assert code == 2
    assert report == (
        "supervisord.conf:7: error: [program:a] unknown key 'startsec' (did you mean "
        "'startsecs'?) — supervisord ignores it silently\n"
        "1 error, 0 warnings: the config cannot be used\n")


def test_errors_exit_2(write: Write) -> None:
    code, report = run(write("[program:a]\n"))
    assert code == 2 and report.endswith("1 error, 0 warnings: the config cannot be used\n")


def test_module_main(write: Write, capsys: object) -> None:
    path = write("[program:a]\ncommand=/bin/true\n")
    assert main(["-c", str(path)]) == 0
    assert main(["-c", str(path), "--strict"]) == 0
