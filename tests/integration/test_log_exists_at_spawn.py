"""A program's log exists once it is spawned, and a spawn never adopts a planted name.

supervisord opens a program's logs when it spawns it, so a log deleted
while the program was stopped is there again at its next start, before any
output. minderd checks an existing log with one ``lstat`` at each spawn and
only opens the path when it is not a plain file of its own
(``safeopen.usable_as_is``); these tests drive that through the real daemon,
over XML-RPC, with a program that writes nothing, so only the spawn can
have made the file.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from tests.support.daemons import Proxy, run_daemon, wait_for

QUIET = """
[program:quiet]
command=/bin/sleep 1000
startsecs=0
autostart=false
stdout_logfile={log}
stderr_logfile={err}
"""


def _start_stop(proxy: Proxy, *, start: bool) -> None:
    call = proxy.supervisor.startProcess if start else proxy.supervisor.stopProcess
    assert call("quiet")


def test_a_deleted_log_is_created_again_by_the_next_spawn(tmp_path: Path) -> None:
    log, err = tmp_path / "quiet.out", tmp_path / "quiet.err"
    with run_daemon(tmp_path, QUIET.format(log=log, err=err)) as daemon, daemon.rpc() as proxy:
        _start_stop(proxy, start=True)
        _start_stop(proxy, start=False)
        assert log.exists() and err.exists()
        log.unlink()
        err.unlink()
        _start_stop(proxy, start=True)
        # startProcess answered once the child ran: the spawn made both files
        assert stat.S_ISREG(os.lstat(log).st_mode) and log.read_bytes() == b""
        assert stat.S_ISREG(os.lstat(err).st_mode)
        _start_stop(proxy, start=False)


def test_a_symlink_planted_between_two_runs_is_refused_at_the_spawn(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o1777)  # like /tmp: anybody could have put the link there
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep\n")
    log, err = shared / "quiet.out", shared / "quiet.err"
    with run_daemon(tmp_path, QUIET.format(log=log, err=err)) as daemon, daemon.rpc() as proxy:
        _start_stop(proxy, start=True)
        _start_stop(proxy, start=False)
        log.unlink()
        log.symlink_to(victim)
        _start_stop(proxy, start=True)
        wait_for(
            lambda: "symbolic link" in daemon.main_log(),
            what="the spawn to refuse the planted link",
        )
        assert os.path.islink(log) and victim.read_bytes() == b"keep\n"
        _start_stop(proxy, start=False)
