"""Config-level commands (reread, add, remove, update) and daemon control (reload, shutdown)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.daemons import wait_for

from .test_minderctl_support import DAEMON_KINDS, daemon_running, minderctl, rpc

BODY = """
[program:keep]
command=/bin/sleep 1000
startsecs=0

[program:old]
command=/bin/sleep 1000
startsecs=0
"""


@pytest.mark.parametrize("kind", DAEMON_KINDS)
def test_reread_add_remove_update(tmp_path: Path, kind: str) -> None:
    with daemon_running(tmp_path, kind, BODY) as daemon:
        assert minderctl(daemon, "reread").stdout == "No config updates to processes\n"
        text = daemon.conf.read_text().replace("[program:old]", "[program:new]")
        daemon.conf.write_text(text)
        result = minderctl(daemon, "reread")
        assert (result.stdout, result.returncode) == ("new: available\nold: disappeared\n", 0)

        result = minderctl(daemon, "add", "new", "keep", "nosuch")
        assert result.stdout == ("new: added process group\nERROR: process group already active\n"
                                 "ERROR: no such process/group: nosuch\n")
        assert result.returncode == 1
        wait_for(lambda: rpc(daemon, "getProcessInfo", "new")["statename"] == "RUNNING")

        result = minderctl(daemon, "remove", "old")
        assert (result.stdout, result.returncode) == (
            "ERROR: process/group still running: old\n", 1)
        assert minderctl(daemon, "stop", "old").stdout == "old: stopped\n"
        assert minderctl(daemon, "remove", "old").stdout == "old: removed process group\n"

        daemon.conf.write_text(text + "\n[program:third]\ncommand=/bin/sleep 1000\nstartsecs=0\n")
        result = minderctl(daemon, "update", "zz")
        assert (result.stdout, result.returncode) == ("ERROR: no such group: zz\n", 1)
        result = minderctl(daemon, "update")
        assert (result.stdout, result.returncode) == ("third: added process group\n", 0)
        assert minderctl(daemon, "update").stdout == ""


@pytest.mark.parametrize("kind", DAEMON_KINDS)
def test_reload_then_shutdown(tmp_path: Path, kind: str) -> None:
    with daemon_running(tmp_path, kind, BODY) as daemon:
        result = minderctl(daemon, "reload", "now")
        assert result.returncode == 1
        assert result.stdout.startswith("Error: reload accepts no arguments\n")
        result = minderctl(daemon, "reload")
        assert (result.stdout, result.returncode) == ("Restarted supervisord\n", 0)
        wait_for(lambda: minderctl(daemon, "status").returncode == 0, timeout=20,
                 what="programs back after reload")
        result = minderctl(daemon, "shutdown")
        assert (result.stdout, result.returncode) == ("Shut down\n", 0)
        daemon.proc.wait(30)
        result = minderctl(daemon, "status")
        assert result.returncode == 4
        assert result.stdout == f"{daemon.serverurl} no such file\n"
        result = minderctl(daemon, "shutdown")
        assert result.returncode == 1
        assert result.stdout == f"ERROR: {daemon.serverurl} no such file (already shut down?)\n"
