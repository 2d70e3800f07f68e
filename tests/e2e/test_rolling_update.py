"""``update`` of a group with ``update_strategy=rolling``, and the JSON rolling restart.

A numprocs=3 program with a tcp ready_check has its command changed; minderctl
``update`` through the daemon's socket must replace the three processes one at
a time, each ready before the next, so that at no poll were all three down.
A new version that cannot start stops the rollout at the first process and
leaves the other two on their old pids. ``POST /api/v1/rolling-restart`` is
driven with a plain HTTP client under the CSRF rules.
"""

from __future__ import annotations

import http.client
import json
import sys
import threading
from pathlib import Path
from typing import Any

from tests.support.daemons import RunningDaemon, UnixStreamHTTPConnection, run_daemon, wait_for
from tests.support.ports import free_port

SERVER = """\
import socket, sys, time
version, port = sys.argv[1], int(sys.argv[2])
if version == "broken":
    sys.exit(3)
time.sleep(0.4)  # not ready at once: the rollout has to wait for the port
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen()
while True:
    s.accept()[0].close()
"""


def body(tmp: Path, base: int, version: str) -> str:
    server = tmp / "server.py"
    server.write_text(SERVER)
    return f"""
[program:w]
command={sys.executable} {server} {version} %(process_num)d
process_name=%(program_name)s_%(process_num)d
numprocs=3
numprocs_start={base}
startsecs=0
startretries=0
autorestart=false
stopwaitsecs=5
ready_check=tcp://127.0.0.1:%(process_num)d
ready_interval=0.1
ready_deadline=10
update_strategy=rolling
update_batch=1
"""


def ready_pids(daemon: RunningDaemon) -> dict[str, int]:
    """namespec -> pid of every process that is RUNNING and ready."""
    with daemon.rpc() as proxy:
        vitals: Any = proxy.minder.getAllProcessVitals()
        infos: Any = proxy.supervisor.getAllProcessInfo()
    ready = {f"{v['group']}:{v['name']}" for v in vitals
             if v["ready"] and v["statename"] == "RUNNING"}
    return {f"{i['group']}:{i['name']}": i["pid"] for i in infos
            if f"{i['group']}:{i['name']}" in ready}


def all_ready(daemon: RunningDaemon, names: list[str]) -> dict[str, int]:
    def found() -> dict[str, int]:
        now = ready_pids(daemon)
        return now if set(names) <= set(now) else {}

    return wait_for(found, timeout=20, what=f"{names} ready")


def version_of(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[2].decode()


def set_version(daemon: RunningDaemon, old: str, new: str) -> None:
    text = daemon.conf.read_text()
    daemon.conf.write_text(text.replace(f" {old} %(process_num)d", f" {new} %(process_num)d"))


def update_watching(daemon: RunningDaemon) -> tuple[Any, list[int]]:
    """Run ``minderctl update`` while counting the ready processes at every poll."""
    counts: list[int] = []
    finished = threading.Event()

    def watch() -> None:
        while not finished.is_set():
            counts.append(len(ready_pids(daemon)))
            finished.wait(0.02)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        done = daemon.ctl("update", timeout=60)
    finally:
        finished.set()
        watcher.join()
    return done, counts


def test_update_replaces_a_rolling_group_one_at_a_time(tmp_path: Path) -> None:
    base = free_port(3)  # process_num is the port: three in a row
    names = [f"w:w_{base + i}" for i in range(3)]
    with run_daemon(tmp_path, body(tmp_path, base, "v1")) as daemon:
        v1 = all_ready(daemon, names)
        set_version(daemon, "v1", "v2")
        done, counts = update_watching(daemon)
        assert done.returncode == 0, done.stdout + done.stderr
        assert "w: updated process group" in done.stdout
        v2 = all_ready(daemon, names)
        assert all(v2[n] != v1[n] for n in names)
        assert {version_of(pid) for pid in v2.values()} == {"v2"}
        assert len(counts) > 3 and min(counts) >= 2, counts  # never all three down
        log = daemon.main_log()
        assert "w: rolling update of 3 process(es), 1 at a time" in log
        assert f"{names[2]} restarted (pid {v1[names[2]]} -> {v2[names[2]]})" in log

        # A version that cannot start: the first one fails, the others keep v2.
        set_version(daemon, "v2", "broken")
        failed, counts = update_watching(daemon)
        assert failed.returncode == 1, failed.stdout + failed.stderr
        assert failed.stdout.startswith(f"w: ERROR (w: rolling update stopped ({names[0]}: "), (
            failed.stdout)
        assert failed.stdout.endswith(f"; left on the old version: {names[1]}, {names[2]})\n")
        after = ready_pids(daemon)
        assert after == {n: v2[n] for n in names[1:]}
        assert min(counts) >= 2, counts
        with daemon.rpc() as proxy:
            first: Any = proxy.supervisor.getProcessInfo(names[0])
        assert first["statename"] in ("EXITED", "BACKOFF", "FATAL"), first
        assert f"{names[1]} not reached" in daemon.main_log()
        # the group still differs from the config: the next update retries the rest
        assert "w: changed" in daemon.ctl("reread").stdout

        # A fixed version: the stopped one is replaced at once, the two others rolled.
        set_version(daemon, "broken", "v3")
        fixed, counts = update_watching(daemon)
        assert fixed.returncode == 0, fixed.stdout + fixed.stderr
        v3 = all_ready(daemon, names)
        assert {version_of(pid) for pid in v3.values()} == {"v3"}
        assert all(v3[n] != v2[n] for n in names[1:])
        assert min(counts) >= 1, counts
        assert "w: rolling update of 2 process(es), 1 at a time" in daemon.main_log()
        assert daemon.ctl("reread").stdout == "No config updates to processes\n"


def json_call(daemon: RunningDaemon, method: str, path: str, payload: object = None,
              token: bool = True) -> tuple[int, Any]:
    conn = UnixStreamHTTPConnection(str(daemon.socket_path))
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            conn.request("GET", "/api/v1/csrf")
            headers["X-CSRF-Token"] = json.loads(conn.getresponse().read())["token"]
        data = None if payload is None else json.dumps(payload).encode()
        conn.request(method, path, body=data, headers=headers)
        response: http.client.HTTPResponse = conn.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        conn.close()


def test_json_rolling_restart_over_http(tmp_path: Path) -> None:
    base = free_port(3)  # process_num is the port: three in a row
    names = [f"w:w_{base + i}" for i in range(3)]
    with run_daemon(tmp_path, body(tmp_path, base, "v1")) as daemon:
        before = all_ready(daemon, names)
        status, _ = json_call(daemon, "POST", "/api/v1/rolling-restart",
                              {"names": ["w:*"], "batch": 2}, token=False)
        assert status == 403  # no CSRF token: refused, nothing restarted
        status, error = json_call(daemon, "POST", "/api/v1/rolling-restart",
                                  {"names": ["w:*"], "batch": 0})
        assert status == 400 and "batch" in json.dumps(error)
        status, error = json_call(daemon, "POST", "/api/v1/rolling-restart",
                                  {"names": ["nosuch:*"]})
        assert status >= 400 and "nosuch" in json.dumps(error)
        assert ready_pids(daemon) == before
        status, result = json_call(daemon, "POST", "/api/v1/rolling-restart",
                                   {"names": ["w:*"], "batch": 2})
        assert status == 200, result
        after = all_ready(daemon, names)
        assert result["results"] == [
            {"namespec": n, "outcome": "restarted",
             "detail": f"pid {before[n]} -> {after[n]}"} for n in names
        ]
