"""Credentials never reach the main log (item 15).

An administrator changes the password to one containing ``%`` and sends
SIGHUP; the new config is rejected (``%`` must be written ``%%``) and the
reason is logged to the world-readable main log. The reason must not quote
the password.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

from tests.security.local import IDLE_PROGRAM
from tests.support.daemons import run_daemon, wait_for

SECRET = "Zq7%Kw9-new-admin-secret"


def test_a_rejected_password_is_not_written_to_the_main_log(tmp_path: Path) -> None:
    with run_daemon(tmp_path, IDLE_PROGRAM) as daemon:
        text = daemon.conf.read_text()
        daemon.conf.write_text(
            text.replace(
                f"file={daemon.socket_path}\n",
                f"file={daemon.socket_path}\nusername=admin\npassword={SECRET}\n",
            )
            + "\n[inet_http_server]\nport=127.0.0.1:0\nusername=admin\n"
            + f"password=x%(ENV_{SECRET[:3]})s\n"
        )
        os.kill(daemon.proc.pid, signal.SIGHUP)
        wait_for(lambda: "restart aborted" in daemon.main_log(), what="the reload to fail")
        log = daemon.main_log()
        assert "unix_http_server.password" in log  # the key is named, so the admin can act
        assert SECRET not in log
        assert SECRET.split("%")[0] not in log and SECRET.split("%")[1] not in log
        assert daemon.proc.poll() is None


def test_a_password_wrapped_onto_its_own_line_is_not_quoted(tmp_path: Path) -> None:
    """An editor wrapped the new password: the stray line is an error, shown by number only."""
    with run_daemon(tmp_path, IDLE_PROGRAM) as daemon:
        text = daemon.conf.read_text()
        daemon.conf.write_text(
            text.replace(
                f"file={daemon.socket_path}\n",
                f"file={daemon.socket_path}\nusername=admin\npassword=Zq7Kw9-first\n"
                "Wrapped-second-half-of-secret\n",
            )
        )
        os.kill(daemon.proc.pid, signal.SIGHUP)
        wait_for(lambda: "restart aborted" in daemon.main_log(), what="the reload to fail")
        log = daemon.main_log()
        assert "after a password= line" in log
        assert "Wrapped-second-half-of-secret" not in log
        assert daemon.proc.poll() is None
