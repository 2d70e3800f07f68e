"""Golden tests: every tests/fixtures/configs/<case>/ holds supervisord.conf
(plus whatever it includes) and expected.txt, the exact ``--check`` report
followed by ``exit: N``. The case directory is shown as ``<case>``.

Regenerate after a deliberate change with MINDER_REGEN_GOLDEN=1 and review
the diff.
"""

from __future__ import annotations

import io
import os
import shutil
from pathlib import Path

import pytest

from minder.config.check import run_check

CASES = Path(__file__).resolve().parents[2] / "fixtures" / "configs"


def check_report(conf: Path) -> str:
    out = io.StringIO()
    code = run_check(str(conf), strict=False, out=out)
    text = out.getvalue().replace(str(conf.parent), "<case>")
    return f"{text}exit: {code}\n"


@pytest.mark.parametrize("case", sorted(p.name for p in CASES.iterdir() if p.is_dir()))
def test_golden(case: str) -> None:
    conf = CASES / case / "supervisord.conf"
    expected_file = CASES / case / "expected.txt"
    report = check_report(conf)
    if os.environ.get("MINDER_REGEN_GOLDEN"):
        expected_file.write_text(report)
    assert report == expected_file.read_text()


def test_seed_guide_reports_startsec_then_passes_when_fixed(tmp_path: Path) -> None:
    case = tmp_path / "seed"
    shutil.copytree(CASES / "seed_rocketmap", case)
    report = check_report(case / "supervisord.conf")
    assert (
        "conf.d/rm_tools.conf:6: warning: [program:rm_webserver] unknown key 'startsec' "
        "(did you mean 'startsecs'?) — supervisord ignores it silently"
    ) in report
    assert report.endswith("exit: 1\n")

    for conf in (case / "conf.d").glob("*.conf"):
        conf.write_text(conf.read_text().replace("startsec=", "startsecs="))
    report = check_report(case / "supervisord.conf")
    assert report == (
        "2 programs (2 processes) in 2 groups, 0 event listener pools, 2 files included; "
        "0 errors, 0 warnings\nexit: 0\n"
    )
