"""XML-RPC over TCP: without credentials on loopback, and with HTTP Basic
auth (cleartext and {SHA} passwords), using xmlrpc.client and supervisorctl."""

from __future__ import annotations

import hashlib
import http.client
import json
import subprocess
import time
import xmlrpc.client
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from tests.support.daemons import VENV_BIN, RunningDaemon, run_daemon, wait_for
from tests.support.ports import free_port

from .test_rpc_support import basic, http_request, tcp_proxy

USER, PASSWORD = "admin", "s3cr3t pass:word"


@dataclass
class TcpDaemon:
    daemon: RunningDaemon
    port: int
    auth: str


def server_section(port: int, auth: str) -> str:
    lines = ["[inet_http_server]", f"port=127.0.0.1:{port}"]
    if auth == "cleartext":
        lines += [f"username={USER}", f"password={PASSWORD}"]
    elif auth == "sha":
        digest = hashlib.sha1(PASSWORD.encode()).hexdigest()
        lines += [f"username={USER}", f"password={{SHA}}{digest}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module", params=["none", "cleartext", "sha"])
def tcp(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[
    TcpDaemon
]:
    port = free_port()
    program = "\n[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    body = server_section(port, request.param) + program
    with run_daemon(tmp_path_factory.mktemp(f"tcp-{request.param}"), body) as daemon:
        yield TcpDaemon(daemon, port, request.param)


def ctl(tcp: TcpDaemon, *args: str) -> tuple[int, str]:
    result = subprocess.run(
        [str(VENV_BIN / "supervisorctl"), "-s", f"http://127.0.0.1:{tcp.port}", *args],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    return result.returncode, result.stdout + result.stderr


def test_right_credentials_or_none_needed(tcp: TcpDaemon) -> None:
    user = USER if tcp.auth != "none" else None
    with tcp_proxy(tcp.port, user, PASSWORD) as proxy:
        assert proxy.supervisor.getState()["statename"] == "RUNNING"
        wait_for(lambda: proxy.supervisor.getProcessInfo("a")["statename"] == "RUNNING")
        assert proxy.supervisor.stopProcess("a") is True
        assert proxy.supervisor.startProcess("a") is True
    creds = ["-u", USER, "-p", PASSWORD] if user else []
    code, out = ctl(tcp, *creds, "status", "a")
    assert code == 0, out
    assert out.startswith("a ") and "RUNNING" in out


def restart(daemon: RunningDaemon) -> None:
    """supervisor.restart() over the unix socket, back when the new run has spawned a."""

    def pid_of_a() -> int:
        with daemon.rpc() as proxy:
            info = proxy.supervisor.getProcessInfo("a")
        return int(info["pid"]) if info["statename"] == "RUNNING" else 0

    before = wait_for(pid_of_a, what="a RUNNING")
    with daemon.rpc() as proxy:
        assert proxy.supervisor.restart() is True
    wait_for(lambda: pid_of_a() not in (0, before), timeout=30, what="the restart to spawn a")


def test_unauthenticated_server_is_reported_critical(tcp: TcpDaemon) -> None:
    # The servers are reported when they are bound, at start and at each restart;
    # restart so that the log holds the report whatever cleared it (clearLog in the sweep).
    restart(tcp.daemon)
    log = tcp.daemon.main_log()
    assert "CRIT Server 'unix_http_server' running without any HTTP authentication" in log
    unauth_inet = "Server 'inet_http_server' running without any HTTP authentication checking"
    assert (unauth_inet in log) == (tcp.auth == "none")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic(USER, "wrong"),
        basic("root", PASSWORD),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic !!!notbase64"},
    ],
    ids=["none", "wrong-password", "wrong-user", "other-scheme", "garbage"],
)
def test_missing_or_wrong_credentials_get_401(tcp: TcpDaemon, headers: dict[str, str]) -> None:
    if tcp.auth == "none":
        pytest.skip("this server has no credentials")
    body = xmlrpc.client.dumps((), "supervisor.getState").encode()
    # Every route is guarded; wrong answers are slowed down, so only try them on one.
    paths = ("/RPC2", "/logtail/a", "/mainlogtail", "/nosuch") if not headers else ("/RPC2",)
    for path in paths:
        status, got, _ = http_request(None, "POST", path, body, headers, port=tcp.port)
        assert status == 401
        assert got["WWW-Authenticate"] == 'Basic realm="default"'
        assert got["X-Frame-Options"] == "DENY"


def test_supervisorctl_without_credentials_fails_like_supervisord(tcp: TcpDaemon) -> None:
    if tcp.auth == "none":
        pytest.skip("this server has no credentials")
    code, out = ctl(tcp, "status")
    assert "Server requires authentication" in out
    assert "401 Unauthorized" in out
    assert code == 1


def test_guessing_is_slowed_but_the_owner_is_not_locked_out(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    port = free_port()
    workdir = tmp_path_factory.mktemp("guessing")
    with run_daemon(workdir, server_section(port, "cleartext")):
        body = xmlrpc.client.dumps((), "supervisor.getState").encode()
        wrong = basic(USER, "guess")
        durations = []
        for _ in range(5):
            began = time.monotonic()
            status, _, _ = http_request(None, "POST", "/RPC2", body, wrong, port=port)
            durations.append(time.monotonic() - began)
            assert status == 401
        assert durations[-1] >= 0.6  # the 5th attempt in a row waits 0.8 s
        # The owner logs in, from another address, while the 6th wrong guess (held
        # 1.6 s) is pending, and is not held like it: both are timed from the same
        # moment, so the right login must take well under the wrong guess's time (if it
        # waited for the wrong guess's turn or got its delay, it would take at least as
        # long), however fast the machine is. (From the guesser's own address the right
        # password waits its turn too: see tests/security/test_login_attacks.py.)
        pending = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            began = time.monotonic()
            pending.request("POST", "/RPC2", body, wrong)  # sent; its answer is read below
            owner = http.client.HTTPConnection(
                "127.0.0.1", port, timeout=30, source_address=("127.0.0.2", 0)
            )
            try:
                owner.request("POST", "/RPC2", body, basic(USER, PASSWORD))
                reply = owner.getresponse()
                assert reply.status == 200 and b"RUNNING" in reply.read()
            finally:
                owner.close()
            right = time.monotonic() - began
            answer = pending.getresponse()
            answer.read()
            guessed = time.monotonic() - began
        finally:
            pending.close()
        assert answer.status == 401
        assert right * 2 < guessed, (right, guessed)
        assert right * 2 < durations[-1], (right, durations)  # nor held like the 5th guess


# Every method once, in an order that leaves the daemon running; shutdown and
# restart are exercised over the unix socket (test_rpc_methods, supervisorctl).
SWEEP: list[tuple[str, tuple[object, ...]]] = [
    ("supervisor.getAPIVersion", ()),
    ("supervisor.getVersion", ()),
    ("supervisor.getSupervisorVersion", ()),
    ("supervisor.getIdentification", ()),
    ("supervisor.getState", ()),
    ("supervisor.getPID", ()),
    ("supervisor.readLog", (0, 100)),
    ("supervisor.readMainLog", (-100, 0)),
    ("supervisor.reloadConfig", ()),
    ("minder.updateProcessGroup", ("a",)),
    ("minder.getProcessVitals", ("a",)),
    ("minder.getAllProcessVitals", ()),
    ("minder.rollingRestart", (["a"],)),
    ("supervisor.addProcessGroup", ("a",)),
    ("supervisor.removeProcessGroup", ("a",)),
    ("supervisor.getProcessInfo", ("a",)),
    ("supervisor.getAllProcessInfo", ()),
    ("minder.getAllProcessInfoJSON", ()),
    ("supervisor.getAllConfigInfo", ()),
    ("supervisor.stopProcess", ("a",)),
    ("supervisor.startProcess", ("a",)),
    ("supervisor.stopProcessGroup", ("a",)),
    ("supervisor.startProcessGroup", ("a",)),
    ("supervisor.stopAllProcesses", ()),
    ("supervisor.startAllProcesses", ()),
    ("supervisor.signalProcess", ("a", "CONT")),
    ("supervisor.signalProcessGroup", ("a", "CONT")),
    ("supervisor.signalAllProcesses", ("CONT",)),
    ("supervisor.sendProcessStdin", ("a", "x\n")),
    ("supervisor.readProcessStdoutLog", ("a", 0, 10)),
    ("supervisor.readProcessLog", ("a", 0, 10)),
    ("supervisor.readProcessStderrLog", ("a", 0, 10)),
    ("supervisor.tailProcessStdoutLog", ("a", 0, 10)),
    ("supervisor.tailProcessLog", ("a", 0, 10)),
    ("supervisor.tailProcessStderrLog", ("a", 0, 10)),
    ("supervisor.clearProcessLogs", ("a",)),
    ("supervisor.clearProcessLog", ("a",)),
    ("supervisor.clearAllProcessLogs", ()),
    ("supervisor.clearLog", ()),
    ("supervisor.sendRemoteCommEvent", ("type", "data")),
    ("system.listMethods", ()),
    ("system.methodHelp", ("supervisor.getPID",)),
    ("system.methodSignature", ("supervisor.getPID",)),
    ("system.multicall", ([{"methodName": "supervisor.getPID", "params": []}],)),
]


def vitals_cpu(listed: object) -> object:
    """CPU % is sampled at each call: compare everything else."""
    assert isinstance(listed, list) and len(listed) == 1
    return listed[0]["cpu_percent"]


def test_every_method_over_tcp(tcp: TcpDaemon) -> None:
    user = USER if tcp.auth != "none" else None
    answers: dict[str, object] = {}
    with tcp_proxy(tcp.port, user, PASSWORD) as proxy:
        for name, params in SWEEP:
            try:
                answers[name] = getattr(proxy, name)(*params)
            except xmlrpc.client.Fault as fault:
                answers[name] = (fault.faultCode, fault.faultString)
        listed = set(proxy.system.listMethods())
    assert listed - set(answers) == {"supervisor.shutdown", "supervisor.restart"}
    assert answers["supervisor.getState"] == {"statecode": 1, "statename": "RUNNING"}
    assert answers["minder.updateProcessGroup"] == {
        "group": "a", "action": "unchanged", "restarted": [], "added": [], "removed": []
    }
    vitals = answers["minder.getProcessVitals"]
    assert isinstance(vitals, dict) and vitals["name"] == "a" and vitals["ready"] is True
    assert answers["minder.getAllProcessVitals"] == [vitals | {"cpu_percent": vitals_cpu(
        answers["minder.getAllProcessVitals"])}]
    plain: Any = answers["supervisor.getAllProcessInfo"]
    from_json = json.loads(str(answers["minder.getAllProcessInfoJSON"]))
    assert [list(i) for i in from_json] == [list(i) for i in plain]
    moving = ("now", "description")  # the two calls may straddle a second
    assert [{k: v for k, v in i.items() if k not in moving} for i in from_json] == [
        {k: v for k, v in i.items() if k not in moving} for i in plain]
    assert answers["supervisor.addProcessGroup"] == (90, "ALREADY_ADDED: a")
    assert answers["supervisor.removeProcessGroup"] == (91, "STILL_RUNNING: a")
    rollout: Any = answers["minder.rollingRestart"]
    (rolled,) = rollout
    assert (rolled["name"], rolled["outcome"]) == ("a", "restarted")
    assert answers["supervisor.stopProcess"] is True
    assert answers["supervisor.startProcess"] is True
    assert answers["supervisor.startAllProcesses"] == [
        {"name": "a", "group": "a", "status": 80, "description": "OK"}
    ]
    assert answers["supervisor.sendProcessStdin"] is True
    assert answers["supervisor.tailProcessLog"] == ["", 0, False]
    assert answers["system.multicall"] == [tcp.daemon.proc.pid]
