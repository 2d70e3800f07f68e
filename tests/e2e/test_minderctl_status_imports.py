"""``minderctl status`` imports none of the modules only other verbs need.

At 100 processes the whole command is the interpreter, ``site``, its own
imports and ~1 ms of work, so each heavy standard-library module on this
path is a visible share of it (docs/performance.md, *minderctl*). This
runs ``status`` for real, in a fresh interpreter, against each daemon
(minderd answers ``minder.getAllProcessInfoJSON``; supervisord refuses it
and the client falls back to ``getAllProcessInfo``), then lists what got
imported. A verb that needs one of these imports it inside its function.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import RunningDaemon

from .test_minderctl_support import DAEMON_KINDS, start_daemon

# Each costs a short command 0.1-3 ms of start-up (python -X importtime).
NOT_ON_THE_STATUS_PATH = {
    "argparse", "asyncio", "collections", "configparser", "contextlib", "dataclasses",
    "datetime", "email", "enum", "functools", "getpass", "hashlib", "http", "inspect",
    "json", "locale", "logging", "re", "selectors", "shlex", "socket", "ssl", "string",
    "subprocess", "threading", "typing", "urllib", "xml", "xmlrpc",
}

# The listing's own json is imported after the snapshot of sys.modules.
RUN_AND_LIST = """
import sys
sys.argv = ["minderctl", "-c", sys.argv[1], "status"]
from minder.ctl.main import main
status = main()
sys.stdout.flush()
names = sorted(sys.modules)
import json
sys.stderr.write(json.dumps({"status": status, "modules": names}))
"""


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param)


def test_status_imports_nothing_heavy(daemon: RunningDaemon, tmp_path: Path) -> None:
    script = tmp_path / "status_and_list.py"
    script.write_text(RUN_AND_LIST)
    result = subprocess.run(
        [sys.executable, str(script), str(daemon.conf)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stderr)
    assert report["status"] == 3  # b is STOPPED: exit 3, as supervisorctl's
    assert "RUNNING" in result.stdout and "b " in result.stdout
    top_level = {name.partition(".")[0] for name in report["modules"]}
    assert top_level & NOT_ON_THE_STATUS_PATH == set()
