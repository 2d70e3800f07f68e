"""[unix_http_server*], [inet_http_server*], [supervisorctl], [rpcinterface:x]."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from minder.config import LoadResult


def test_unix_server(load_text: Callable[..., LoadResult], tmp_path: Path) -> None:
    root = load_text("""
        [unix_http_server]
        file=%(here)s/s.sock
        chmod=0770
        chown=www-data:root
        username=u
        password={SHA}abc
        """).root
    (server,) = root.http_servers
    assert (server.section, server.family, server.path) == (
        "unix_http_server", "unix", str(tmp_path / "s.sock"))
    assert (server.chmod, server.chown_uid, server.chown_gid) == (0o770, 33, 0)
    assert (server.username, server.password) == ("u", "{SHA}abc")
    assert server.source is not None and server.source.line == 5


def test_unix_server_defaults_and_several_servers(load_text: Callable[..., LoadResult]) -> None:
    root = load_text("""
        [unix_http_server]
        file=/tmp/a.sock
        [unix_http_server:second]
        file=/tmp/b.sock
        """).root
    first, second = root.http_servers
    assert (first.chmod, first.chown_uid, first.chown_gid) == (0o700, -1, -1)
    assert second.section == "unix_http_server:second"


@pytest.mark.parametrize(
    ("body", "message"),
    [("[unix_http_server]\nchmod=0700\n", "section has no file value"),
     ("[unix_http_server]\nfile=/tmp/x\nchmod=9\n", "9 can not be converted to an octal type"),
     ("[unix_http_server]\nfile=/tmp/x\nchown=nosuch\n", "Invalid user:group definition"),
     ("[unix_http_server]\nfile=/tmp/x\nusername=u\n", "contains incomplete authentication"),
     ("[inet_http_server]\nusername=u\npassword=p\n", "section has no port value"),
     ("[inet_http_server]\nport=127.0.0.1:0\n", "0 is below lower bound (1)"),
     ("[inet_http_server]\nport=127.0.0.1:\n", "no port number specified"),
     ("[inet_http_server]\nport=127.0.0.1:9001\npassword=p\n", "incomplete authentication"),
     ("[unix_http_server]\nfile=%(host_node_name)s\n", "('host_node_name') which cannot")],
)
def test_server_errors(errors_of: Callable[..., list[str]], body: str, message: str) -> None:
    errors = errors_of(body)
    assert any(message in e for e in errors), errors


def test_inet_server(load_text: Callable[..., LoadResult]) -> None:
    root = load_text("[inet_http_server]\nport=LocalHost:9001\n").root
    (server,) = root.http_servers
    assert (server.family, server.host, server.port) == ("inet", "localhost", 9001)
    assert server.allow_unauthenticated_remote is False


def test_remote_inet_server_needs_credentials(errors_of: Callable[..., list[str]]) -> None:
    (error,) = errors_of("[inet_http_server]\nport=*:9001\n")
    assert error.startswith(
        "supervisord.conf:6: error: [inet_http_server] listens on all interfaces without "
        "username/password (set username and password, listen on 127.0.0.1:9001, or set "
        "allow_unauthenticated_remote=true)")


@pytest.mark.parametrize(
    "body",
    ["port=*:9001\nusername=u\npassword=p\n",
     "port=0.0.0.0:9001\nallow_unauthenticated_remote=true\n",
     "port=127.0.0.2:9001\n", "port=[::1]:9001\n"],
)
def test_remote_inet_server_allowed(load_text: Callable[..., LoadResult], body: str) -> None:
    assert len(load_text("[inet_http_server]\n" + body).root.http_servers) == 1


def test_supervisorctl(load_text: Callable[..., LoadResult], tmp_path: Path) -> None:
    root = load_text("""
        [supervisorctl]
        serverurl=unix://%(here)s/s.sock
        username=u
        password=p
        prompt=box
        history_file=~/.hist
        """)
    ctl = root.root.ctl
    assert ctl is not None
    assert ctl.serverurl == f"unix://{tmp_path}/s.sock"
    assert (ctl.username, ctl.password, ctl.prompt) == ("u", "p", "box")
    assert ctl.history_file is not None and ctl.history_file.endswith("/.hist")


def test_supervisorctl_defaults(load_text: Callable[..., LoadResult]) -> None:
    assert load_text("").root.ctl is None
    ctl = load_text("[supervisorctl]\n").root.ctl
    assert ctl is not None
    assert (ctl.serverurl, ctl.prompt) == ("http://localhost:9001", "supervisor")


def test_rpcinterface_extras_include_defaults(load_text: Callable[..., LoadResult]) -> None:
    root = load_text("""
        [DEFAULT]
        startsecs=0
        [rpcinterface:supervisor]
        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
        retries = %(ENV_N)s
        """, environ={"N": "3"}).root
    (rpc,) = root.rpcinterfaces
    assert rpc.name == "supervisor"
    assert rpc.factory == "supervisor.rpcinterface:make_main_rpcinterface"
    assert rpc.extras == (("retries", "3"), ("startsecs", "0"))


def test_rpcinterface_and_ctlplugin_need_a_factory(errors_of: Callable[..., list[str]]) -> None:
    errors = errors_of("[rpcinterface:x]\na=1\n[ctlplugin:y]\nb=2\n")
    assert errors == [
        "supervisord.conf:5: error: [rpcinterface:x] section does not specify "
        "a supervisor.rpcinterface_factory (add supervisor.rpcinterface_factory = "
        "supervisor.rpcinterface:make_main_rpcinterface)",
        "supervisord.conf:7: error: [ctlplugin:y] section does not specify a "
        "supervisor.ctl_factory",
    ]
