"""Attacks on the logs a root daemon writes and reads (issue 18, items 7 and 8).

* a ``user=nobody`` program that can write its log directory swaps its log
  for a symlink to a root-owned file before its first byte of output;
* a local user races ``clearProcessLogs`` in a shared sticky directory
  (``/tmp``-like) by planting a symlink the moment the log's name is free;
* "clear log" on a device node or a FIFO must leave it what it is;
* a FIFO log that nobody writes must not freeze the daemon on a read.
"""

from __future__ import annotations

import http.client
import os
import pwd
import stat
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.security.local import system_python
from tests.support.daemons import (
    UnixStreamHTTPConnection,
    UnixStreamTransport,
    proxy_at,
    rpc_proxy,
    run_daemon,
    wait_for,
)

VICTIM_TEXT = b"root's file, not to be touched\n"


def plant_symlinks(
    victim: Path, target: str, nobody: pwd.struct_passwd, *, once: bool
) -> subprocess.Popen[bytes]:
    """As ``nobody``, spin on symlink(victim, target): it succeeds only while the name is free.

    ``once``: stop after the first success (exit 0); otherwise spin until killed.
    """
    loop = "while not os.path.islink(sys.argv[2]):" if once else "while True:"
    return subprocess.Popen(
        [
            system_python(),
            "-c",
            f"import os,sys\n{loop}\n"
            "    try: os.symlink(sys.argv[1], sys.argv[2])\n"
            "    except OSError: pass\n",
            str(victim),
            target,
        ],
        user=nobody.pw_uid,
        group=nobody.pw_gid,
    )


def chatty_log(shared: Path) -> str:
    names = wait_for(
        lambda: [
            p for p in shared.iterdir()
            if p.name.startswith("chatty-stdout") and p.name.endswith(".log")
        ]
    )
    return str(names[0])


def make_victim(directory: Path) -> Path:
    victim = directory / "victim"
    victim.write_bytes(VICTIM_TEXT)
    victim.chmod(0o644)
    return victim


def test_program_cannot_redirect_its_log_through_a_symlink(
    open_dir: Path, nobody: pwd.struct_passwd
) -> None:
    victim = make_victim(open_dir)
    logs = open_dir / "logs"
    logs.mkdir()
    os.chown(logs, nobody.pw_uid, nobody.pw_gid)  # the program's own log directory
    log = logs / "attacker.log"
    # The daemon creates the log at spawn, concurrently: swap until the link holds.
    script = (
        f"until [ -L {log} ]; do ln -sf {victim} {log}; done; "
        "echo PWNED-BY-NOBODY; exec sleep 1000"
    )
    body = f"""
        [program:attacker]
        command=/bin/sh -c "{script}"
        user=nobody
        startsecs=0
        stdout_logfile={log}
        """
    with run_daemon(open_dir, body) as daemon:
        wait_for(
            lambda: b"PWNED" in victim.read_bytes() or "refusing" in daemon.main_log(),
            timeout=20,
            what="the daemon to write the output or refuse the log",
        )
        assert victim.read_bytes() == VICTIM_TEXT
        assert "attacker.log" in daemon.main_log()
        assert os.path.islink(log)  # refused, not replaced behind the program's back


def test_clear_cannot_be_raced_in_a_shared_directory(
    open_dir: Path, sticky_dir: Path, nobody: pwd.struct_passwd
) -> None:
    shared = sticky_dir
    victim = make_victim(open_dir)
    body = """
        [program:chatty]
        command=/bin/sh -c "while :; do echo chatty-output; sleep 0.01; done"
        startsecs=0
        stdout_logfile=AUTO
        """
    with run_daemon(shared, body) as daemon, daemon.rpc() as proxy:
        target = chatty_log(shared)
        racer = plant_symlinks(victim, target, nobody, once=False)
        try:
            for _ in range(150):
                proxy.supervisor.clearProcessLogs("chatty")
                if victim.read_bytes() != VICTIM_TEXT:
                    break
        finally:
            racer.kill()
            racer.wait()
        wait_for(lambda: b"chatty-output" in Path(target).read_bytes(), what="output")
        assert victim.read_bytes() == VICTIM_TEXT
        assert not os.path.islink(target)


def test_rotation_refuses_a_name_planted_in_a_shared_directory(
    open_dir: Path, sticky_dir: Path, nobody: pwd.struct_passwd
) -> None:
    shared = sticky_dir
    """Between rotating an AUTO log away and re-creating it, the name is free."""
    victim = make_victim(open_dir)
    body = """
        [program:chatty]
        command=/bin/sh -c "while :; do echo 0123456789abcdef0123456789abcdef; done"
        startsecs=0
        stdout_logfile=AUTO
        stdout_logfile_maxbytes=4096
        stdout_logfile_backups=1
        """
    with run_daemon(shared, body) as daemon:  # childlogdir is the shared directory
        target = chatty_log(shared)
        racer = plant_symlinks(victim, target, nobody, once=True)
        try:
            # The name is free for an instant at every rotation (many a second).
            racer.wait(60)
        finally:
            racer.kill()
            racer.wait()
        assert racer.returncode == 0, "the planted link never got in: no attack happened"
        wait_for(
            lambda: victim.read_bytes() != VICTIM_TEXT or "refusing" in daemon.main_log(),
            timeout=20,
            what="the daemon to follow the planted link or refuse it",
        )
        assert victim.read_bytes() == VICTIM_TEXT
        with daemon.rpc() as proxy:
            assert proxy.supervisor.getState()["statename"] == "RUNNING"


def test_clear_leaves_a_device_and_a_fifo_as_they_are(tmp_path: Path) -> None:
    if os.geteuid() != 0:
        pytest.skip("mknod needs root")
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    # Something reads the FIFO, as a log shipper would (and never sees EOF: <>).
    reader = subprocess.Popen(["/bin/sh", "-c", f"exec cat <>{fifo} >/dev/null"])
    body = f"""
        [program:to_device]
        command=/bin/sh -c "echo to-device; exec sleep 1000"
        startsecs=0
        stdout_logfile={null}

        [program:to_fifo]
        command=/bin/sh -c "echo to-fifo; exec sleep 1000"
        startsecs=0
        stdout_logfile={fifo}
        """
    try:
        with run_daemon(tmp_path, body) as daemon, daemon.rpc() as proxy:
            wait_for(
                lambda: all(
                    p["statename"] == "RUNNING" for p in proxy.supervisor.getAllProcessInfo()
                ),
                what="both programs running",
            )
            assert proxy.supervisor.clearProcessLogs("to_device")
            assert proxy.supervisor.clearProcessLogs("to_fifo")
            assert stat.S_ISCHR(os.stat(null).st_mode)
            assert stat.S_ISFIFO(os.stat(fifo).st_mode)
    finally:
        reader.kill()
        reader.wait()


def test_a_fifo_log_without_writer_does_not_freeze_the_daemon(tmp_path: Path) -> None:
    fifo = tmp_path / "quiet.fifo"
    os.mkfifo(fifo)
    body = f"""
        [program:quiet]
        command=/bin/sleep 1000
        autostart=false
        stdout_logfile={fifo}
        """
    with run_daemon(tmp_path, body) as daemon:
        transport = _TimeoutTransport(str(daemon.socket_path))
        with proxy_at("http://localhost", transport) as proxy:
            assert proxy.supervisor.readProcessStdoutLog("quiet", 0, 100) == ""
            assert proxy.supervisor.tailProcessStdoutLog("quiet", 0, 100)[0] == ""
        with rpc_proxy(str(daemon.socket_path)) as again:
            assert again.supervisor.getState()["statename"] == "RUNNING"


class _TimeoutTransport(UnixStreamTransport):
    """Gives up after a few seconds instead of hanging with a frozen daemon."""

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        if self._connection[1] is None:
            self._connection = (host, UnixStreamHTTPConnection(self.unix_path, timeout=5.0))
        connection = self._connection[1]
        assert connection is not None
        return connection
