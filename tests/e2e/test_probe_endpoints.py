"""Readiness on a real minderd: /healthz and /readyz through a real HTTP client
with and without credentials, readiness and restarts in minderctl, supervisorctl,
minder.* XML-RPC and /metrics, and environment_file reaching the program."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import RunningDaemon, descendants, run_daemon, wait_for
from tests.support.ports import free_port

from .test_rpc_support import basic, http_request, write_script

USER, PASSWORD = "ops", "pa55word"

LATE_SERVER = """\
import socket, sys, time
time.sleep(2)
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1])))
s.listen(16)
while True:
    s.accept()[0].close()
"""

SHOW_ENV = """\
import os, sys, time
with open(sys.argv[1], "w") as out:
    out.write(os.environ.get("API_TOKEN", "?") + "|" + os.environ.get("MOTD", "?"))
time.sleep(1000)
"""


def get(port: int, path: str, auth: bool = False, method: str = "GET") -> tuple[int, str]:
    """A real HTTP client (urllib), as a kubelet or load balancer would call."""
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", method=method,
                                     headers=basic(USER, PASSWORD) if auth else {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


class Setup:
    def __init__(self, daemon: RunningDaemon, port: int, plain_port: int, env_out: Path):
        self.daemon = daemon
        self.port = port
        self.plain_port = plain_port
        self.env_out = env_out


@pytest.fixture(scope="module")
def minderd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    workdir = tmp_path_factory.mktemp("probes")
    port, plain_port, app_port = free_port(), free_port(), free_port()
    late = write_script(workdir, "late.py", LATE_SERVER)
    show = write_script(workdir, "show.py", SHOW_ENV)
    env_out = workdir / "env.out"
    (workdir / "app.env").write_text(
        '# secrets\nAPI_TOKEN="tok en"\nMOTD=hello # greeting\n')
    body = f"""\
        [inet_http_server:probes]
        port=127.0.0.1:{port}
        username={USER}
        password={PASSWORD}
        probe_endpoints=true

        [inet_http_server:plain]
        port=127.0.0.1:{plain_port}
        username={USER}
        password={PASSWORD}

        [program:app]
        command={late} {app_port}
        startsecs=0
        ready_check=tcp://127.0.0.1:{app_port}
        ready_interval=0.2

        [program:envy]
        command={show} {env_out}
        startsecs=0
        environment_file=%(here)s/app.env
        """
    with run_daemon(workdir, body) as daemon:
        yield Setup(daemon, port, plain_port, env_out)
    assert descendants(os.getpid()) == [], "a process outlived its daemon"


def test_readyz_waits_for_the_ready_check_and_healthz_needs_no_credentials(
    minderd: Setup,
) -> None:
    # Reported as soon as the daemon answers; app opens its port 2 s later.
    status, text = get(minderd.port, "/healthz")
    assert (status, text) == (200, "ok\n")
    wait_for(lambda: get(minderd.port, "/readyz")[0] == 200, timeout=20, what="/readyz 200")
    status, text = get(minderd.port, "/readyz")
    assert text == "ready: 2 autostart processes\n"


def test_readyz_reveals_only_a_count(minderd: Setup) -> None:
    for path in ("/healthz", "/readyz"):
        _, text = get(minderd.port, path)
        assert "app" not in text and "envy" not in text and text[-1] == "\n"
        assert text.count("\n") == 1


def test_nothing_else_is_open_without_credentials(minderd: Setup) -> None:
    assert get(minderd.port, "/api/v1/processes")[0] == 401
    assert get(minderd.port, "/metrics")[0] == 401
    assert get(minderd.port, "/healthz", method="POST")[0] == 401
    assert get(minderd.port, "/healthz/")[0] == 401
    assert get(minderd.port, "/metrics", auth=True)[0] == 200


def test_a_server_without_probe_endpoints_keeps_them_behind_auth(minderd: Setup) -> None:
    assert get(minderd.plain_port, "/healthz")[0] == 401
    assert get(minderd.plain_port, "/healthz", auth=True)[0] == 404


def test_readiness_is_shown_by_every_client(minderd: Setup) -> None:
    wait_for(lambda: get(minderd.port, "/readyz")[0] == 200, timeout=20, what="ready")
    d = minderd.daemon
    out = d.ctl("status", "app").stdout
    assert "RUNNING" in out and out.rstrip().endswith(", ready"), out
    upstream = d.ctl("status", "app", client="supervisorctl").stdout
    assert upstream.rstrip().endswith(", ready"), upstream
    # a process without a ready_check keeps supervisord's description exactly
    envy = d.ctl("status", "envy").stdout
    assert "ready" not in envy
    (app,) = [p for p in json.loads(d.ctl("status", "--json", "app").stdout)]
    assert app["ready"] is True and app["restarts"] == 0 and app["rss"] > 0
    assert app["ready_check"] == f"tcp://127.0.0.1:{app['ready_check'].rsplit(':', 1)[1]}"
    with d.rpc() as rpc:
        vitals = rpc.minder.getProcessVitals("app")
        assert vitals["ready"] is True and "connected to" in vitals["last_answer"]
        assert {v["name"] for v in rpc.minder.getAllProcessVitals()} == {"app", "envy"}
    status, _, body = http_request(str(d.socket_path), "GET", "/metrics")
    assert status == 200
    text = body.decode()
    assert 'minder_process_ready{group="app",name="app"} 1' in text
    assert 'minder_process_restarts_total{group="app",name="app"} 0' in text


def test_environment_file_reaches_the_program_and_never_the_log(minderd: Setup) -> None:
    wait_for(lambda: minderd.env_out.exists() and minderd.env_out.read_text(), what="env.out")
    assert minderd.env_out.read_text() == "tok en|hello"
    assert "tok en" not in minderd.daemon.main_log()


def test_minderctl_rolling_restart(minderd: Setup) -> None:
    wait_for(lambda: get(minderd.port, "/readyz")[0] == 200, timeout=20, what="ready")
    d = minderd.daemon
    with d.rpc() as rpc:
        old = rpc.supervisor.getProcessInfo("app")["pid"]
    done = d.ctl("restart", "--rolling", "--batch", "1", "app")
    assert done.returncode == 0, done.stdout + done.stderr
    with d.rpc() as rpc:
        new = rpc.supervisor.getProcessInfo("app")["pid"]
        assert rpc.minder.getProcessVitals("app")["ready"] is True
    assert done.stdout == f"app: restarted (pid {old} -> {new})\n"
    bad = d.ctl("restart", "--rolling", "--batch", "0", "app")
    assert bad.returncode == 2 and "--batch needs a whole number" in bad.stdout
    missing = d.ctl("restart", "--rolling", "nosuch:*")
    assert missing.returncode == 1 and "BAD_NAME: nosuch" in missing.stdout
