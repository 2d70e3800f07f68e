"""The real superlance 2.0 listeners, unmodified, under minderd.

crashmail runs against both minderd and upstream supervisord (the mail it
sends must be the same); memmon and httpok restart programs through the
XML-RPC API that they reach via SUPERVISOR_SERVER_URL, like in production.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.support.daemons import VENV_BIN, RunningDaemon, descendants, run_daemon, wait_for
from tests.support.ports import free_port

pytestmark = pytest.mark.skipif(
    not (VENV_BIN / "crashmail").exists(), reason="superlance is not installed"
)


@pytest.fixture(autouse=True)
def no_leftover_children() -> object:
    yield
    assert descendants(os.getpid()) == [], "a process outlived its daemon"


def fake_sendmail(tmp: Path) -> tuple[Path, Path]:
    """A sendmail stand-in that appends each message to a file."""
    outbox = tmp / "outbox.txt"
    script = tmp / "sendmail.sh"
    script.write_text(f"#!/bin/sh\ncat >> {outbox}\necho '----' >> {outbox}\n")
    script.chmod(0o755)
    return script, outbox


def read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def info(daemon: RunningDaemon, name: str) -> dict[str, object]:
    proxy = daemon.rpc()
    try:
        result: dict[str, object] = proxy.supervisor.getProcessInfo(name)
        return result
    finally:
        proxy("close")()


@pytest.mark.parametrize("kind", ["minderd", "supervisord"])
def test_crashmail_reports_an_unexpected_exit(tmp_path: Path, kind: str) -> None:
    sendmail, outbox = fake_sendmail(tmp_path)
    body = f"""\
        [eventlistener:crashmail]
        command={VENV_BIN / 'crashmail'} -a -m ops@example.com -s "{sendmail}"
        events=PROCESS_STATE_EXITED
        startsecs=0
        stderr_logfile={tmp_path}/crashmail.err

        [program:crasher]
        command=sh -c "sleep 1.5; exit 3"
        startsecs=1
        autorestart=false

        [program:fine]
        command=sh -c "sleep 1.5; exit 0"
        startsecs=1
        autorestart=false
        """
    with run_daemon(tmp_path, body, kind=kind) as daemon:
        wait_for(lambda: "----\n" in read(outbox), timeout=30, what="crashmail to send a mail")
        wait_for(lambda: info(daemon, "fine")["statename"] == "EXITED", timeout=30)
        mail = read(outbox)
        log = daemon.main_log()
    assert "UNKNOWN state" not in log
    assert mail.startswith("To: ops@example.com\nSubject:  crasher crashed at ")
    assert re.search(
        r"\n\nProcess crasher in group crasher exited unexpectedly \(pid \d+\) "
        r"from state RUNNING----\n$",
        mail,
    ), mail
    assert mail.count("----") == 1  # the expected exit of "fine" sends nothing


def test_memmon_restarts_a_program_that_grows_past_its_limit(tmp_path: Path) -> None:
    hog = tmp_path / "hog.py"
    hog.write_text(
        "import time\nblob = bytearray(80 * 1024 * 1024)\n"
        "for i in range(0, len(blob), 4096): blob[i] = 1\n"
        "time.sleep(600)\n"
    )
    body = f"""\
        [eventlistener:memmon]
        command={VENV_BIN / 'memmon'} -p hog=40MB
        events=TICK_5
        startsecs=0

        [program:hog]
        command={sys.executable} {hog}
        startsecs=0
        """
    with run_daemon(tmp_path, body) as daemon:
        first = wait_for(lambda: info(daemon, "hog")["pid"], timeout=20, what="hog to run")
        wait_for(
            lambda: info(daemon, "hog")["pid"] not in (0, first),
            timeout=30,
            what="memmon to restart hog",
        )
        assert "UNKNOWN state" not in daemon.main_log()


def test_httpok_restarts_a_program_whose_http_check_fails(tmp_path: Path) -> None:
    port = free_port()
    web = tmp_path / "web.py"
    web.write_text(
        "import http.server, sys\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(500); self.end_headers(); self.wfile.write(b'broken')\n"
        "    def log_message(self, *a): pass\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    body = f"""\
        [eventlistener:httpok]
        command={VENV_BIN / 'httpok'} -p web -t 5 http://127.0.0.1:{port}/
        events=TICK_5
        startsecs=0

        [program:web]
        command={sys.executable} {web}
        startsecs=0
        """
    with run_daemon(tmp_path, body) as daemon:
        first = wait_for(lambda: info(daemon, "web")["pid"], timeout=20, what="web to run")
        wait_for(
            lambda: info(daemon, "web")["pid"] not in (0, first),
            timeout=30,
            what="httpok to restart web",
        )
        assert "UNKNOWN state" not in daemon.main_log()
