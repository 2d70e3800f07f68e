"""minderctl over http:// with basic auth, and clear messages when credentials are wrong."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.daemons import RunningDaemon
from tests.support.ports import free_port

from .test_minderctl_support import (
    DAEMON_KINDS,
    PtyChild,
    client_path,
    minderctl,
    start_daemon,
)

PORT = free_port()
BODY = f"""
[inet_http_server]
port=127.0.0.1:{PORT}
username=user
password=secret

[program:a]
command=/bin/sh -c 'echo hello over http; exec sleep 1000'
startsecs=0
"""
URL = f"http://127.0.0.1:{PORT}"


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param, BODY)


def ctl(*argv: str, input: str | None = None, env: dict[str, str] | None = None,
        client: str = "minderctl") -> subprocess.CompletedProcess[str]:
    return subprocess.run([client_path(client), *argv], capture_output=True, text=True,
                          timeout=30, input=input, env=env,
                          stdin=None if input is not None else subprocess.DEVNULL, cwd="/")


def test_right_credentials_on_the_command_line(daemon: RunningDaemon) -> None:
    result = ctl("-s", URL, "-u", "user", "-p", "secret", "status")
    assert result.returncode == 0
    assert result.stdout.startswith("a" + " " * 32 + "RUNNING   pid ")
    assert "hello over http" in ctl("-s", URL, "-u", "user", "-p", "secret", "tail", "a").stdout


def test_credentials_from_the_config_with_env_expansion(daemon: RunningDaemon,
                                                        tmp_path: Path) -> None:
    conf = tmp_path / "ctl.conf"
    conf.write_text(f"[supervisorctl]\nserverurl={URL}\nusername=user\n"
                    "password=%(ENV_MINDER_TEST_PW)s\n")
    import os

    env = {**os.environ, "MINDER_TEST_PW": "secret"}
    assert ctl("-c", str(conf), "pid", "a", env=env).stdout.strip().isdigit()


def test_wrong_credentials_say_so_in_one_line(daemon: RunningDaemon) -> None:
    for argv in (["-u", "user", "-p", "wrong"], []):
        ours = ctl("-s", URL, *argv, "status")
        upstream = ctl("-s", URL, *argv, "status", client="supervisorctl")
        assert ours.returncode == upstream.returncode == 1
        assert ours.stdout.splitlines()[0] == "Server requires authentication"
        assert "Traceback" not in ours.stdout + ours.stderr
        assert "error: <class" in upstream.stdout  # supervisorctl's traceback-ish line
        assert "error: <class" not in ours.stdout


def test_tail_f_over_http_with_auth(daemon: RunningDaemon) -> None:
    child = PtyChild([client_path("minderctl"), "-s", URL, "-u", "user", "-p", "secret",
                      "tail", "-f", "a"])
    try:
        child.expect("hello over http")
        child.interrupt()
        assert child.wait() == 0
    finally:
        child.close()
    result = ctl("-s", URL, "-u", "user", "-p", "bad", "tail", "-f", "a", "a")
    assert "Server requires authentication" in result.stdout


def test_shell_asks_for_credentials(daemon: RunningDaemon) -> None:
    child = PtyChild([client_path("minderctl"), "-s", URL])
    try:
        child.expect("Server requires authentication")
        child.expect("Username:")
        child.send("user\r")
        child.expect("Password:")
        child.send("secret\r")
        child.expect(r"a {32}\S*RUNNING")
        child.expect("supervisor> ")
        child.send("quit\r")
        assert child.wait() == 0
    finally:
        child.close()


def test_refused_connection(daemon: RunningDaemon) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    result = minderctl(daemon, "-s", url, "status")
    assert (result.stdout, result.returncode) == (f"{url} refused connection\n", 4)
    result = minderctl(daemon, "-s", url, "avail")
    assert (result.stdout, result.returncode) == (f"{url} refused connection\n", 1)
