"""Shell completion of command names, process names, group:* and group names."""

from __future__ import annotations

from minder.ctl.shell import Shell

from .canned import CannedSession, info

INFOS = [info("web", "RUNNING", pid=1), info("w0", "RUNNING", group="worker", pid=2),
         info("w1", "STOPPED", group="worker")]


def shell() -> Shell:
    return Shell(CannedSession({"supervisor.getAllProcessInfo": INFOS}))


def test_command_names() -> None:
    assert shell().completenames("sta") == ["start ", "startup ", "status "]
    assert shell().completenames("q") == ["quit "]


def test_process_names_and_group_wildcards() -> None:
    s = shell()
    assert s.completedefault("", "stop ", 5, 5) == [
        "web ", "worker:w0 ", "worker:* ", "worker:w1 ", "all "]
    assert s.completedefault("wor", "start wor", 6, 9) == ["worker:w0 ", "worker:* ",
                                                           "worker:w1 "]
    assert s.completedefault("web", "tail -f web", 8, 11) == ["web "]
    assert "all " not in s.completedefault("", "fg ", 3, 3)


def test_group_names_for_group_commands() -> None:
    assert shell().completedefault("w", "update w", 7, 8) == ["web ", "worker "]


def test_help_completes_commands() -> None:
    assert shell().completedefault("ver", "help ver", 5, 8) == ["version "]


def test_process_list_is_fetched_once_per_command_line() -> None:
    s = shell()
    for _ in range(3):
        s.completedefault("", "stop ", 5, 5)
    session = s.session
    assert isinstance(session, CannedSession)
    assert [c[0] for c in session.calls] == ["supervisor.getAllProcessInfo"]
