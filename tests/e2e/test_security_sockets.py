"""How minderd creates its listening sockets: unix socket mode and owner in
place before anyone can connect, stale sockets replaced, live ones and
non-sockets left alone, and no unauthenticated TCP beyond loopback."""

from __future__ import annotations

import grp
import os
import pwd
import socket
import stat
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.daemons import VENV_BIN, rpc_proxy, wait_for
from tests.support.ports import free_port

from .test_rpc_support import tcp_proxy


def write_conf(workdir: Path, servers: str) -> Path:
    conf = workdir / "minderd.conf"
    conf.write_text(
        f"""
[supervisord]
logfile={workdir}/daemon.log
pidfile={workdir}/daemon.pid
childlogdir={workdir}
loglevel=debug

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

{servers}

[program:a]
command=/bin/sleep 1000
startsecs=0
"""
    )
    return conf


@contextmanager
def minderd(conf: Path) -> Iterator[subprocess.Popen[str]]:
    proc = subprocess.Popen(
        [str(VENV_BIN / "minderd"), "-n", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        if proc.stderr:
            proc.stderr.close()


def answers(path: Path) -> bool:
    with rpc_proxy(str(path)) as proxy:
        return bool(proxy.supervisor.getState()["statename"] == "RUNNING")


def test_socket_has_its_mode_and_owner_and_no_temp_file_remains(tmp_path: Path) -> None:
    sock = tmp_path / "s.sock"
    nobody = pwd.getpwnam("nobody")
    group = grp.getgrgid(nobody.pw_gid).gr_name
    conf = write_conf(
        tmp_path, f"[unix_http_server]\nfile={sock}\nchmod=0660\nchown=nobody:{group}\n"
    )
    with minderd(conf):
        wait_for(lambda: answers(sock), timeout=20, what="minderd on its socket")
        st = os.stat(sock)
        assert stat.S_ISSOCK(st.st_mode)
        assert stat.S_IMODE(st.st_mode) == 0o660
        assert (st.st_uid, st.st_gid) == (nobody.pw_uid, nobody.pw_gid)
        assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("s.sock")) == [
            "s.sock"
        ]
    assert not sock.exists()


def test_default_mode_is_0700(tmp_path: Path) -> None:
    sock = tmp_path / "s.sock"
    with minderd(write_conf(tmp_path, f"[unix_http_server]\nfile={sock}\n")):
        wait_for(lambda: answers(sock), timeout=20, what="minderd on its socket")
        assert stat.S_IMODE(os.stat(sock).st_mode) == 0o700


def test_a_stale_socket_is_replaced(tmp_path: Path) -> None:
    sock = tmp_path / "s.sock"
    stale = socket.socket(socket.AF_UNIX)
    stale.bind(str(sock))
    stale.close()  # the file stays, nobody listens: what a killed daemon leaves
    with minderd(write_conf(tmp_path, f"[unix_http_server]\nfile={sock}\n")):
        wait_for(lambda: answers(sock), timeout=20, what="minderd on its socket")
    assert "Unlinking stale socket" in (tmp_path / "daemon.log").read_text()


def test_a_live_socket_is_not_stolen(tmp_path: Path) -> None:
    sock = tmp_path / "s.sock"
    with socket.socket(socket.AF_UNIX) as other:
        other.bind(str(sock))
        other.listen(5)
        inode = os.stat(sock).st_ino
        with minderd(write_conf(tmp_path, f"[unix_http_server]\nfile={sock}\n")) as proc:
            assert proc.wait(30) != 0
            assert proc.stderr is not None
            assert "Another program is already listening" in proc.stderr.read()
        assert os.stat(sock).st_ino == inode


def test_a_file_that_is_not_a_socket_is_never_deleted(tmp_path: Path) -> None:
    path = tmp_path / "s.sock"
    path.write_text("precious")
    with minderd(write_conf(tmp_path, f"[unix_http_server]\nfile={path}\n")) as proc:
        assert proc.wait(30) != 0
    assert path.read_text() == "precious"


def test_unauthenticated_tcp_on_all_interfaces_is_refused(tmp_path: Path) -> None:
    port = free_port()
    conf = write_conf(tmp_path, f"[inet_http_server]\nport=0.0.0.0:{port}\n")
    with minderd(conf) as proc:
        assert proc.wait(30) != 0
        assert proc.stderr is not None
        assert "allow_unauthenticated_remote" in proc.stderr.read()
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", port)) != 0


def test_unauthenticated_remote_tcp_when_explicitly_allowed(tmp_path: Path) -> None:
    port = free_port()
    conf = write_conf(
        tmp_path, f"[inet_http_server]\nport=*:{port}\nallow_unauthenticated_remote=true\n"
    )
    with minderd(conf):

        def up() -> bool:
            with tcp_proxy(port) as proxy:
                return bool(proxy.supervisor.getState()["statename"] == "RUNNING")

        wait_for(up, timeout=20, what="minderd on TCP")
        log = (tmp_path / "daemon.log").read_text()
        assert "Server 'inet_http_server' running without any HTTP authentication" in log
