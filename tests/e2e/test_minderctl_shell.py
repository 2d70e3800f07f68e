"""The interactive shell on a pseudo-terminal: completion, history, open, confirmations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import RunningDaemon

from .test_minderctl_support import DAEMON_KINDS, PtyChild, client_path, minderctl, start_daemon

PROMPT = r"supervisor> "
UP = "\x1b[A"


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param)


def shell(daemon: RunningDaemon, *options: str) -> PtyChild:
    return PtyChild([client_path("minderctl"), "-c", str(daemon.conf), *options])


def test_completion_and_history_across_sessions(daemon: RunningDaemon, tmp_path: Path) -> None:
    history = tmp_path / "history"
    child = shell(daemon, "-r", str(history))
    try:
        child.expect(r"grp:d\s+\S*RUNNING")  # the shell runs status first
        child.expect(PROMPT)
        child.send("stat\t")
        child.expect("status ")  # command name completed
        child.send("a\r")
        child.expect(r"\na {32}\S*RUNNING")
        child.expect(PROMPT)
        child.send("pid gr\t")
        child.expect("pid gr\x07?p:")  # completed up to "grp:" (bell: grp:c, grp:d, grp:*)
        child.send("c\r")
        child.expect(r"\r\n(\d+)\r\n")
        child.expect(PROMPT)
        child.send("version\r")
        version = child.expect(r"\r\n(\d[\w.]*)\r\n").group(1)
        child.expect(PROMPT)
        child.send(UP + "\r")  # recall "version"
        assert child.expect(r"\r\n(\d[\w.]*)\r\n").group(1) == version
        child.expect(PROMPT)
        child.send("quit\r")
        assert child.wait() == 0
    finally:
        child.close()
    assert "version" in history.read_text()

    child = shell(daemon, "-r", str(history))
    try:
        child.expect(PROMPT)
        child.send(UP + UP + "\r")  # history came back from the file: quit, then version
        assert child.expect(r"\r\n(\d[\w.]*)\r\n").group(1) == version
        child.expect(PROMPT)
        child.send("\x04")  # Ctrl-D ends the shell
        assert child.wait() == 0
    finally:
        child.close()


def test_open_unknown_and_confirmations(daemon: RunningDaemon) -> None:
    child = shell(daemon)
    try:
        child.expect(PROMPT)
        child.send("open unix:///nonexistent.sock\r")
        child.expect("unix:///nonexistent.sock no such file")
        child.expect(PROMPT)
        child.send(f"open {daemon.serverurl}\r")
        child.expect(r"grp:c\s+\S*RUNNING")
        child.expect(PROMPT)
        child.send("bogus\r")
        child.expect(r"\*\*\* Unknown syntax: bogus")
        child.expect(PROMPT)
        child.send("shutdown\r")
        child.expect(r"Really shut the remote supervisord process down y/N\? ")
        child.send("n\r")
        child.expect(PROMPT)
        child.interrupt()  # Ctrl-C leaves the shell, exit status 0
        assert child.wait() == 0
    finally:
        child.close()
    assert minderctl(daemon, "status", "a").returncode == 0


def test_interactive_flag_asks_before_reload(daemon: RunningDaemon) -> None:
    result = minderctl(daemon, "-i", "reload", input="no\n")
    assert result.returncode == 0
    assert result.stdout == "Really restart the remote supervisord process y/N? "


def test_ctrl_c_ends_tail_f_but_not_the_shell(daemon: RunningDaemon) -> None:
    child = shell(daemon)
    try:
        child.expect(PROMPT)
        child.send("tail -f a\r")
        child.expect("==> Press Ctrl-C to exit <==")
        child.expect("hello from a")
        child.interrupt()
        child.expect(PROMPT)  # back at the prompt, not out of the shell
        child.send("status a\r")
        child.expect(r"a {32}\S*RUNNING")
        child.expect(PROMPT)
        child.send("exit\r")
        assert child.wait() == 0
    finally:
        child.close()
