"""minderd as PID 1 in a new PID namespace (a container's init, without docker).

``unshare --pid --fork --mount-proc`` (root only) makes minderd PID 1 there:
it must stay in the foreground, reap every orphan, exit with an essential
program's exit code, copy output to stdout as ``name | line``, and stop
within shutdown_timeout on SIGTERM even when a program ignores it.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from minder.engine.cgroupfs import pid_namespace
from tests.support.cgroups import assert_cgroups_removed, cgroup_root
from tests.support.daemons import (
    VENV_BIN,
    descendants,
    process_alive,
    rpc_proxy,
    wait_for,
    write_config,
)
from tests.support.ports import free_port

PY = sys.executable


def _can_unshare() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--pid", "--fork", "--mount-proc", "true"],
                           capture_output=True, timeout=30)
    return probe.returncode == 0


pytestmark = pytest.mark.skipif(not _can_unshare(),
                                reason="needs root and unshare --pid --fork --mount-proc")


@contextmanager
def pid1_minderd(tmp_path: Path, body: str, daemon_keys: str = "") -> Iterator[
    tuple[subprocess.Popen[bytes], Path, Path]
]:
    conf, sock, log = write_config(tmp_path, body, daemon_keys=daemon_keys)
    proc = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", str(VENV_BIN / "minderd"), "-c", str(conf)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path,
    )
    try:
        yield proc, sock, log
    finally:
        if proc.poll() is None:
            for pid in descendants(proc.pid):
                with_pid = Path(f"/proc/{pid}")
                if with_pid.exists():
                    subprocess.run(["kill", "-KILL", str(pid)], check=False)
            proc.kill()
        proc.communicate(timeout=30)
        # Killing PID 1 of a namespace kills everything in it: nothing is left.
        wait_for(lambda: not descendants(proc.pid), timeout=10, what="the namespace to empty")
        if log.exists():
            assert_cgroups_removed(log.read_text())


def answers(sock: Path) -> bool:
    with rpc_proxy(str(sock)) as proxy:
        return bool(proxy.supervisor.getState()["statename"] == "RUNNING")


ORPHANS = """\
import os, sys, time
for _ in range(10):  # double forks: each grandchild is orphaned, then exits
    if os.fork() == 0:
        if os.fork() == 0:
            open(os.path.join(sys.argv[1], str(os.getpid())), "w").close()
            time.sleep(0.1)
            os._exit(0)
        os._exit(0)
time.sleep(300)
"""

# The essential program: it exits (and so ends minderd) only once PID 1 has reaped
# all ten orphans, whose pids they left in the directory argv[1] names (a reaped
# pid has no /proc entry; a zombie still has one). Before, it slept 1.5 s and
# hoped the orphaner had started, forked and seen its orphans die by then.
MAIN = """\
import os, sys, time
print("hello from main", flush=True)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    pids = os.listdir(sys.argv[1])
    if len(pids) == 10 and not any(os.path.exists("/proc/" + pid) for pid in pids):
        break
    time.sleep(0.02)
sys.exit(7)
"""


def test_an_essential_programs_exit_code_becomes_minderds(tmp_path: Path) -> None:
    (tmp_path / "orphans.py").write_text(ORPHANS)
    (tmp_path / "main.py").write_text(MAIN)
    orphans = tmp_path / "orphans"
    orphans.mkdir()
    body = f"""
    [program:main]
    command={PY} {tmp_path}/main.py {orphans}
    startsecs=0
    autorestart=false
    essential=true
    stdout_logfile=NONE

    [program:orphaner]
    command={PY} {tmp_path}/orphans.py {orphans}
    startsecs=0
    """
    with pid1_minderd(tmp_path, body, "childlogs_to_stdout=true") as (proc, _sock, log):
        out, err = proc.communicate(timeout=60)
        code = proc.returncode
    text = log.read_text()
    assert code == 7, (out, err, text)
    assert b"main | hello from main" in out
    assert "supervisord started with pid 1" in text
    assert "essential program main ended (exit status 7): shutting down, exit code 7" in text
    assert len(os.listdir(orphans)) == 10
    assert text.count("reaped unknown pid") >= 10  # PID 1 reaps every orphan
    assert "stopped: orphaner" in text


def test_a_signal_kills_the_essential_program_128_plus(tmp_path: Path) -> None:
    body = f"""
    [program:main]
    command={PY} -c "import os, signal; os.kill(os.getpid(), signal.SIGABRT)"
    startsecs=0
    autorestart=false
    essential=true
    """
    with pid1_minderd(tmp_path, body) as (proc, _sock, log):
        proc.communicate(timeout=60)
        assert proc.returncode == 128 + signal.SIGABRT, log.read_text()


def test_sigterm_stops_everything_within_shutdown_timeout(tmp_path: Path) -> None:
    (tmp_path / "stubborn.py").write_text(
        "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\ntime.sleep(300)\n"
    )
    body = f"""
    [program:stubborn]
    command={PY} {tmp_path}/stubborn.py
    startsecs=0
    stopwaitsecs=120
    """
    with pid1_minderd(tmp_path, body, "shutdown_timeout=1") as (proc, sock, log):
        wait_for(lambda: answers(sock), timeout=20, what="minderd as PID 1 to answer")
        with rpc_proxy(str(sock)) as proxy:
            wait_for(lambda: proxy.supervisor.getProcessInfo("stubborn")["pid"] > 0, timeout=10)
        minderd = descendants(proc.pid)[0]  # unshare's child: PID 1 inside
        stubborn = [p for p in descendants(minderd)]
        subprocess.run(["kill", "-TERM", str(minderd)], check=True)
        proc.communicate(timeout=60)
        text = log.read_text()
    assert proc.returncode == 0, text
    assert "shutdown_timeout (1s) reached: killing what is left" in text
    assert not any(process_alive(p) for p in stubborn)


def probe_get(port: int, path: str) -> tuple[int, str]:
    """What a kubelet's httpGet probe sees: the status and the body's first line."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace").strip()
    finally:
        conn.close()


def test_the_shipped_container_example_runs_as_pid_1(tmp_path: Path) -> None:
    """examples/container/minder.conf as PID 1, with its paths moved under tmp_path."""
    example = Path(__file__).parents[2] / "examples" / "container"
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "worker.py").write_text((example / "worker.py").read_text())
    port, probe_port = free_port(), free_port()
    conf = tmp_path / "minder.conf"
    conf.write_text(
        (example / "minder.conf").read_text()
        .replace("/tmp/", f"{tmp_path}/")
        .replace("/app", str(tmp_path / "app"))
        .replace("python ", f"{PY} ")
        .replace("8000", str(port))
        .replace(":9001", f":{probe_port}")
    )
    minderd = str(VENV_BIN / "minderd")
    no_password = {k: v for k, v in os.environ.items() if k != "MINDER_HTTP_PASSWORD"}
    refused = subprocess.run([minderd, "--check", "-c", str(conf)], env=no_password,
                             capture_output=True, text=True, timeout=60)
    assert refused.returncode != 0  # no password in the environment: refused, line named
    assert "'inet_http_server.password'" in refused.stdout + refused.stderr
    env = {**no_password, "MINDER_HTTP_PASSWORD": "s3cret-from-a-secret"}
    check = subprocess.run([minderd, "--check", "-c", str(conf)], env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr
    proc = subprocess.Popen(
        ["unshare", "--pid", "--fork", "--mount-proc", minderd, "-c", str(conf)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path, env=env,
    )
    assert proc.stdout is not None
    os.set_blocking(proc.stdout.fileno(), False)
    seen = bytearray()

    def heard_heartbeat() -> bool:
        with contextlib.suppress(BlockingIOError, TypeError):
            seen.extend(proc.stdout.read() or b"")  # type: ignore[union-attr]
        return b"worker | heartbeat 1" in seen

    try:
        wait_for(lambda: answers(tmp_path / "minder.sock"), timeout=30, what="the example")
        wait_for(heard_heartbeat, timeout=20, what="the worker's first heartbeat on stdout")
        # The Kubernetes probes of kubernetes.yaml, without credentials.
        assert probe_get(probe_port, "/healthz") == (200, "ok")
        wait_for(lambda: probe_get(probe_port, "/readyz")[0] == 200, timeout=20,
                 what="/readyz 200 once web answers its ready_check")
        assert probe_get(probe_port, "/readyz")[1].startswith("ready")
        assert probe_get(probe_port, "/")[0] == 401  # the rest needs the password
        pid1 = descendants(proc.pid)[0]
        subprocess.run(["kill", "-TERM", str(pid1)], check=True)
        proc.wait(30)
        heard_heartbeat()
        out, err = bytes(seen), proc.stderr.read() if proc.stderr else b""
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert_cgroups_removed(out.decode(errors="replace"))
    assert b"worker | heartbeat 1" in out
    assert b"stopped: web" in out and b"stopped: worker" in out


@pytest.mark.skipif(cgroup_root() is None, reason="no writable cgroup v2 here (needs root)")
def test_a_daemon_in_its_own_pid_namespace_leaves_a_host_daemons_empty_subtree(
    tmp_path: Path,
) -> None:
    """A starting host daemon's subtree is empty until its first spawn; a minderd
    that is PID 1 of another namespace, sharing the cgroup, cannot see the host
    pid in its name and used to sweep it as a dead daemon's (the host daemon's
    first spawn then failed). Names made here (with the namespace) and the
    older ones (without) must both survive it; only names it can judge are its."""
    root = cgroup_root()
    assert root is not None
    host_pid = os.getpid()  # alive, and invisible inside the new namespace
    ours = [
        os.path.join(root, f"minder-{host_pid}-0badf00d-{pid_namespace()}"),
        os.path.join(root, f"minder-{host_pid}-0badf00e"),
    ]
    for path in ours:
        os.mkdir(path)
    try:
        body = "[program:a]\ncommand=sleep 300\nstartsecs=0\n"
        with pid1_minderd(tmp_path, body, "containment=cgroup") as (proc, sock, log):
            wait_for(lambda: answers(sock), timeout=20, what="minderd as PID 1 to answer")
            assert "containment: cgroup" in log.read_text()
            assert [p for p in ours if not os.path.isdir(p)] == []
            os.kill(descendants(proc.pid)[0], signal.SIGTERM)  # unshare's child: PID 1 inside
            proc.communicate(timeout=60)
    finally:
        for path in ours:
            with contextlib.suppress(FileNotFoundError):
                os.rmdir(path)
