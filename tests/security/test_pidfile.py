"""A local user plants a symlink or a FIFO where the daemon writes its pidfile (item 12).

supervisord's default pidfile is in /tmp. The pidfile is (re)written at
start and at every reload; a name next to it that can be guessed lets any
local user make root truncate a file, or hang the daemon on a FIFO.
"""

from __future__ import annotations

import os
import pwd
import signal
import subprocess
from pathlib import Path

from tests.security.local import IDLE_PROGRAM
from tests.support.daemons import rpc_proxy, run_daemon, wait_for

VICTIM_TEXT = b"root's file, not to be truncated\n"


def reloads_seen(log: str) -> int:
    return log.count("supervisord started with pid")


def test_planted_symlink_or_fifo_next_to_the_pidfile_is_ignored(
    open_dir: Path, sticky_dir: Path, nobody: pwd.struct_passwd
) -> None:
    shared = sticky_dir
    victim = open_dir / "victim"
    victim.write_bytes(VICTIM_TEXT)
    with run_daemon(shared, IDLE_PROGRAM) as daemon:
        pid = daemon.proc.pid
        pidfile = shared / "daemon.pid"
        assert pidfile.read_text() == f"{pid}\n"
        guessed = shared / f".daemon.pid.{pid}.tmp"  # the name minderd used to use
        for plant in (["ln", "-s", str(victim), str(guessed)], ["mkfifo", str(guessed)]):
            subprocess.run(plant, check=True, user=nobody.pw_uid, group=nobody.pw_gid)
            before = reloads_seen(daemon.main_log())
            os.kill(pid, signal.SIGHUP)

            def reloaded(count: int = before) -> bool:
                with rpc_proxy(str(daemon.socket_path)) as proxy:
                    running = proxy.supervisor.getState()["statename"] == "RUNNING"
                return running and reloads_seen(daemon.main_log()) > count

            wait_for(reloaded, timeout=20, what="the reload to finish")
            assert victim.read_bytes() == VICTIM_TEXT
            assert pidfile.read_text() == f"{pid}\n"
            assert not pidfile.is_symlink()
            subprocess.run(["rm", "-f", str(guessed)], check=True, user=nobody.pw_uid)
        assert not [p for p in shared.iterdir() if p.name.endswith(".tmp")]


def test_a_fifo_at_the_pidfile_path_does_not_hang_start_up(tmp_path: Path) -> None:
    """A stale pidfile is read first: a FIFO there must read as 'no pid'."""
    os.mkfifo(tmp_path / "daemon.pid")
    with run_daemon(tmp_path, IDLE_PROGRAM) as daemon:  # waits (with a deadline) for RUNNING
        assert (tmp_path / "daemon.pid").read_text() == f"{daemon.proc.pid}\n"
