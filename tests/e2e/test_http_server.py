"""minderd's HTTP servers as a whole: unsupported rpcinterface factories are
reported (not fatal), and authentication and security headers cover every
route, the web UI's included."""

from __future__ import annotations

from pathlib import Path

from tests.support.daemons import wait_for

from .test_rpc_support import basic, http_request, xmlrpc_body
from .test_security_sockets import minderd

USER, PASSWORD = "web", "pw"


def write_conf(workdir: Path, extra: str = "") -> tuple[Path, Path]:
    sock = workdir / "s.sock"
    conf = workdir / "minderd.conf"
    conf.write_text(
        f"""
[supervisord]
logfile={workdir}/daemon.log
pidfile={workdir}/daemon.pid
childlogdir={workdir}

[unix_http_server]
file={sock}
username={USER}
password={PASSWORD}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[rpcinterface:other]
supervisor.rpcinterface_factory = mypackage.rpc:make_other
retries = 3

[program:a]
command=/bin/sleep 1000
startsecs=0
{extra}
"""
    )
    return conf, sock


def authed_state(sock: Path) -> bool:
    status, _, body = http_request(
        str(sock), "POST", "/RPC2", xmlrpc_body("supervisor.getState"), basic(USER, PASSWORD)
    )
    return status == 200 and b"RUNNING" in body


def test_other_rpcinterfaces_warn_and_auth_covers_every_route(tmp_path: Path) -> None:
    conf, sock = write_conf(tmp_path)
    with minderd(conf):
        wait_for(lambda: authed_state(sock), timeout=20, what="minderd answering with auth")
        log = (tmp_path / "daemon.log").read_text()
        assert "RPC interface 'supervisor' initialized" in log
        assert "[rpcinterface:other] uses factory mypackage.rpc:make_other" in log
        assert "not supported" in log or "does not support" in log
        for path in ("/", "/index.html", "/api/v1/processes", "/RPC2", "/logtail/a", "/x"):
            status, headers, _ = http_request(str(sock), "GET", path)
            assert status == 401, path
            assert headers["WWW-Authenticate"] == 'Basic realm="default"'
            assert headers["X-Frame-Options"] == "DENY"
        status, headers, _ = http_request(str(sock), "GET", "/", headers=basic(USER, PASSWORD))
        assert status == 200
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
