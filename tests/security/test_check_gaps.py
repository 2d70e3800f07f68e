"""Configs that ``minderd --check`` used to accept and the daemon then mishandled (item 16).

* an ``identifier`` with ``/`` (AUTO log names are built from it: no start);
* an empty ``username=`` (authentication silently off);
* a format width of 200 million characters (the expansion builds the string);
* ``numprocs=1000000`` (minutes and gigabytes just to expand the config).

Each must be an error at its file:line, from ``--check`` and from a start.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.support.daemons import VENV_BIN, write_config

CASES = {
    "identifier": ("identifier=a/b", "identifier", "'/'"),
    "empty-username": (
        "[inet_http_server]\nport=127.0.0.1:0\nusername=\npassword=secret\n",
        "username",
        "authentication off",
    ),
    "format-width": (
        "[program:wide]\ncommand=/bin/echo %(program_name)200000000s\n",
        "command",
        "width of 200000000",
    ),
    "numprocs": (
        "[program:many]\ncommand=/bin/sleep 1000\n"
        "process_name=%(program_name)s_%(process_num)d\nnumprocs=1000000\n",
        "numprocs",
        "numprocs=1000000",
    ),
}


def problem_line(conf: Path, key: str) -> int:
    """The line of the last ``key=`` in the file (the one the case added)."""
    lines = conf.read_text().splitlines()
    return max(n for n, line in enumerate(lines, 1) if line.startswith(f"{key}="))


@pytest.mark.parametrize("case", sorted(CASES))
def test_check_and_start_refuse_with_file_and_line(tmp_path: Path, case: str) -> None:
    section, key, words = CASES[case]
    conf, _, _ = write_config(tmp_path, "")
    text = conf.read_text()
    if case == "identifier":  # the helper's config sets one already
        text = text.replace("identifier=testsuper", section, 1)
    else:
        text += "\n" + section
    conf.write_text(text)
    where = f"supervisord.conf:{problem_line(conf, key)}:"
    for args in (["--check"], ["-n"]):
        try:
            done = subprocess.run(
                [str(VENV_BIN / "minderd"), *args, "-c", str(conf)],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"minderd {args[0]} was still busy after 60 s")
        output = done.stdout + done.stderr
        assert done.returncode != 0, f"minderd {args[0]} accepted it:\n{output}"
        assert where in output and "error" in output and words in output, output
