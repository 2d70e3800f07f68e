"""The fcgi socket race (item 9): the program's user swaps the new socket for a link.

The socket lives in a directory its program's user can write (its own run
directory). Each time the group's socket is re-created, an attacker running
as that user replaces the fresh socket with a symlink to a root-owned file,
hoping root then chmods/chowns the link's target to ``socket_owner``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import stat
import subprocess
import xmlrpc.client
from pathlib import Path

from tests.security.local import system_python
from tests.support.daemons import run_daemon, wait_for

SWAPPER = """
import os, sys
path, victim = sys.argv[1], sys.argv[2]
while True:
    try:
        os.rename(path, path + ".moved")
        os.symlink(victim, path)
    except OSError:
        pass
"""


def test_fcgi_socket_is_never_chowned_through_a_swapped_name(
    open_dir: Path, nobody: pwd.struct_passwd
) -> None:
    victim = open_dir / "victim"
    victim.write_text("root's file\n")
    victim.chmod(0o644)
    run_dir = open_dir / "run"
    run_dir.mkdir()
    os.chown(run_dir, nobody.pw_uid, nobody.pw_gid)
    sock = run_dir / "fcgi.sock"
    body = f"""
        [fcgi-program:web]
        command=/bin/sleep 1000
        socket=unix://{sock}
        socket_owner=nobody
        socket_mode=0600
        user=nobody
        startsecs=0
        autostart=false
        """
    with run_daemon(open_dir, body) as daemon, daemon.rpc() as proxy:
        swapper = subprocess.Popen(
            [system_python(), "-c", SWAPPER, str(sock), str(victim)],
            user=nobody.pw_uid,
            group=nobody.pw_gid,
        )
        try:
            for _ in range(60):  # each start after a full stop re-creates the socket
                # The attacker may break its own socket (a spawn error): that is its loss.
                with contextlib.suppress(xmlrpc.client.Fault):
                    proxy.supervisor.startProcess("web:web", True)
                with contextlib.suppress(xmlrpc.client.Fault):
                    proxy.supervisor.stopProcess("web:web", True)
                info = os.stat(victim)
                if info.st_uid != 0 or stat.S_IMODE(info.st_mode) != 0o644:
                    break
        finally:
            swapper.kill()
            swapper.wait()
        info = os.stat(victim)
        assert (info.st_uid, stat.S_IMODE(info.st_mode)) == (0, 0o644)
        # The daemon still serves the socket normally once nobody interferes.
        for leftover in (sock, run_dir / "fcgi.sock.moved"):
            if leftover.is_symlink() or leftover.exists():
                leftover.unlink()
        proxy.supervisor.startProcess("web:web", True)
        wait_for(lambda: stat.S_ISSOCK(os.lstat(sock).st_mode), what="the fcgi socket")
        created = os.lstat(sock)
        assert (created.st_uid, stat.S_IMODE(created.st_mode)) == (nobody.pw_uid, 0o600)
        assert not [p for p in run_dir.iterdir() if p.name.startswith(".minder-")]
