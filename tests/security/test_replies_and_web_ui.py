"""Issue 18, items 5 and 6: a multicall of log reads, stdin that is never read,
nested JSON, and the web UI's confirm page, banner and unusable names —
each performed against a real minderd."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import urllib.request
import xmlrpc.client
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.test_webui_support import (
    browser,  # noqa: F401  (a fixture)
    inet_section,
    needs_chromium,
    open_page,
    state_of,
)
from tests.security.attacks import peak_rss_kib, rss_kib
from tests.support.daemons import VENV_BIN, RunningDaemon, run_daemon, wait_for
from tests.support.ports import free_port

MIB = 1024 * 1024
CHATTY = """\
import sys
chunk = "x" * 1023 + "\\n"
for _ in range({kib}):
    sys.stdout.write(chunk)
sys.stdout.flush()
import time
time.sleep(1000)
"""


@pytest.fixture(scope="module")
def daemon(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningDaemon, int]]:
    workdir = tmp_path_factory.mktemp("replies")
    (workdir / "chatty.py").write_text(CHATTY.format(kib=2048))  # a 2 MiB stdout log
    port = free_port()
    body = inet_section(port) + textwrap.dedent(
        f"""\
        [program:chatty]
        command={sys.executable} {workdir}/chatty.py
        startsecs=0
        stdout_logfile_maxbytes=0

        [program:deaf]
        command=/bin/sleep 1000
        startsecs=0
        """
    )
    with run_daemon(workdir, body) as running:

        def log_size() -> bool:
            with running.rpc() as proxy:
                return bool(proxy.supervisor.tailProcessStdoutLog("chatty", 0, 0)[1] >= 2 * MIB)

        wait_for(log_size, what="chatty's 2 MiB log")
        yield running, port


def test_a_multicall_of_log_reads_is_capped_as_a_whole(
    daemon: tuple[RunningDaemon, int],
) -> None:
    running, _ = daemon
    pid = running.proc.pid
    peak_before = peak_rss_kib(pid)
    calls = [
        {"methodName": "supervisor.readProcessStdoutLog", "params": ["chatty", 0, 0]}
        for _ in range(40)  # 80 MiB asked for, each call under the 16 MiB one-read cap
    ]
    calls.append({"methodName": "supervisor.getPID", "params": []})
    with running.rpc() as proxy:
        results = proxy.system.multicall(calls)
    texts = [r for r in results if isinstance(r, str)]
    faults = [r for r in results if isinstance(r, dict)]
    assert sum(len(t) for t in texts) <= 15 * MIB
    assert texts and all(len(t) == 2 * MIB for t in texts)
    assert len(texts) + len(faults) == 40
    assert all("multicall reply past" in f["faultString"] for f in faults)
    assert results[-1] == pid  # every call still ran, in order
    # the reply as a whole, not each call, is what the daemon holds
    assert peak_rss_kib(pid) - peak_before < 200 * 1024


def test_stdin_a_program_never_reads_cannot_grow_the_daemon(
    daemon: tuple[RunningDaemon, int],
) -> None:
    running, _ = daemon
    pid = running.proc.pid
    before = rss_kib(pid)
    chunk = "y" * (256 * 1024)
    sent = 0
    refused = None
    with running.rpc() as proxy:
        while sent < 16 * MIB:  # bounded: 64 calls at most
            try:
                proxy.supervisor.sendProcessStdin("deaf", chunk)
            except xmlrpc.client.Fault as fault:
                refused = fault
                break
            sent += len(chunk)
    assert refused is not None, f"{sent} bytes buffered for a program that reads nothing"
    assert refused.faultCode == 30 and "stdin not read" in refused.faultString
    assert sent <= 2 * MIB
    assert rss_kib(pid) - before < 8 * 1024
    assert state_of(running, "deaf") == "RUNNING"


def test_deeply_nested_json_is_a_400(daemon: tuple[RunningDaemon, int]) -> None:
    _, port = daemon
    base = f"http://127.0.0.1:{port}/api/v1"
    with urllib.request.urlopen(f"{base}/csrf", timeout=10) as resp:
        token = json.load(resp)["token"]
    request = urllib.request.Request(
        f"{base}/processes/deaf/signal",
        data=b"[" * 100_000 + b"]" * 100_000,
        headers={"X-CSRF-Token": token, "Content-Type": "application/json"},
        method="POST",
    )
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=10)
    assert info.value.code == 400
    assert json.load(info.value)["name"] == "BAD_REQUEST"


@needs_chromium
def test_a_cross_site_confirm_link_plus_one_key_press_does_nothing(
    daemon: tuple[RunningDaemon, int], browser: object  # noqa: F811
) -> None:
    running, port = daemon
    url = f"http://127.0.0.1:{port}/index.html?action=stopall"
    with open_page(browser, url) as page:
        page.wait_for_selector("button[type=submit]")
        page.keyboard.press("Enter")
        page.keyboard.press("Space")
        # nothing was submitted: still the confirm page, programs still running
        assert page.url == url
    assert state_of(running, "deaf") == "RUNNING"
    assert state_of(running, "chatty") == "RUNNING"


@needs_chromium
def test_a_link_cannot_put_words_in_the_error_banner(
    daemon: tuple[RunningDaemon, int], browser: object  # noqa: F811
) -> None:
    _, port = daemon
    url = f"http://127.0.0.1:{port}/?message=ERROR:%20disk%20failing,%20call%20555-0100"
    with open_page(browser, url) as page:
        page.wait_for_selector('tr.proc[data-namespec="deaf"]')
        assert "555-0100" not in page.inner_text("body")


@pytest.mark.parametrize("name", [".", ".."])
def test_a_program_named_dot_or_dot_dot_is_refused(tmp_path: Path, name: str) -> None:
    conf = tmp_path / "minder.conf"
    conf.write_text(
        f"[supervisord]\nlogfile={tmp_path}/d.log\npidfile={tmp_path}/d.pid\n\n"
        f"[program:{name}]\ncommand=/bin/sleep 1000\n"
    )
    result = subprocess.run(
        [str(VENV_BIN / "minderd"), "-c", str(conf), "--check"],
        capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL,
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert f"minder.conf:5: error: [program:{name}] Invalid name" in out, out
