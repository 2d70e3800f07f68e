"""GET /metrics on a real minderd: process lines, states after a stop, pids
that match getProcessInfo, resource usage from /proc, the event-buffer drop
counter of a stuck listener pool, and basic auth on an inet server.

One daemon serves the module (unix socket without auth, TCP with auth); the
only test that changes state stops a process no other test looks at.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import psutil
import pytest

from tests.support.daemons import RunningDaemon, descendants, run_daemon, wait_for
from tests.support.ports import free_port

from .test_rpc_support import basic, http_request, write_script

USER, PASSWORD = "scraper", "s3cret"
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*(?:\{.*\})?) (\S+)$")

# Says READY, takes one event and never answers it: the pool's one-slot
# buffer then overflows on every further state change.
STUCK_LISTENER = """\
import sys, time
sys.stdout.write("READY\\n"); sys.stdout.flush()
sys.stdin.readline()
time.sleep(1000)
"""


def config(workdir: Path, port: int) -> str:
    listener = write_script(workdir, "stuck.py", STUCK_LISTENER)
    return f"""\
        [inet_http_server]
        port=127.0.0.1:{port}
        username={USER}
        password={PASSWORD}

        [program:web]
        command=/bin/sleep 1000
        startsecs=0

        [program:jobs]
        command=/bin/sleep 1000
        process_name=%(program_name)s_%(process_num)02d
        numprocs=2
        startsecs=0

        [eventlistener:stuck]
        command={listener}
        events=PROCESS_STATE
        buffer_size=1
        startsecs=0
        """


class Daemon:
    def __init__(self, daemon: RunningDaemon, port: int) -> None:
        self.daemon = daemon
        self.port = port

    def scrape(self) -> dict[str, float]:
        status, headers, body = http_request(str(self.daemon.socket_path), "GET", "/metrics")
        assert status == 200, body
        assert headers["Content-Type"] == CONTENT_TYPE
        return parse(body.decode())


def parse(text: str) -> dict[str, float]:
    out: dict[str, float] = {}
    for line in text.splitlines():
        if line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, f"bad sample line {line!r}"
        out[m.group(1)] = float(m.group(2))
    return out


@pytest.fixture(scope="module")
def minderd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Daemon]:
    workdir = tmp_path_factory.mktemp("metrics")
    port = free_port()
    with run_daemon(workdir, config(workdir, port)) as daemon:
        d = Daemon(daemon, port)
        running = 'minder_process_state_info{group="%s",name="%s",state="RUNNING"}'
        names = [("web", "web"), ("jobs", "jobs_00"), ("jobs", "jobs_01"), ("stuck", "stuck")]
        wait_for(
            lambda: all(d.scrape().get(running % n) == 1 for n in names),
            what="every process RUNNING in /metrics",
        )
        yield d
    assert descendants(os.getpid()) == [], "a process outlived its daemon"


def test_daemon_lines(minderd: Daemon) -> None:
    got = minderd.scrape()
    assert got["minder_up"] == 1
    assert got['minder_daemon_state{state="RUNNING"}'] == 1
    assert got["minder_daemon_pid"] == minderd.daemon.proc.pid
    info = [k for k in got if k.startswith("minder_info{")]
    assert len(info) == 1 and 'supervisor_version="4.3.0"' in info[0]
    assert 'identifier="testsuper"' in info[0]
    start = got["minder_daemon_start_time_seconds"]
    assert start == pytest.approx(psutil.Process(minderd.daemon.proc.pid).create_time(), abs=1)
    assert got["minder_daemon_resident_memory_bytes"] > 1_000_000
    assert got["minder_daemon_cpu_seconds_total"] > 0
    assert got["minder_daemon_open_fds"] > 3


def test_pids_match_get_process_info_and_usage_is_read(minderd: Daemon) -> None:
    got = minderd.scrape()
    with minderd.daemon.rpc() as rpc:
        infos = {i["name"]: i for i in rpc.supervisor.getAllProcessInfo()}
    for group, name in [("web", "web"), ("jobs", "jobs_00"), ("stuck", "stuck")]:
        labels = f'{{group="{group}",name="{name}"}}'
        info = infos[name]
        assert got[f"minder_process_pid{labels}"] == info["pid"] > 0
        assert got[f"minder_process_state{labels}"] == 20
        assert int(got[f"minder_process_start_time_seconds{labels}"]) == info["start"]
        assert got[f"minder_process_resident_memory_bytes{labels}"] > 0
        assert got[f"minder_process_open_fds{labels}"] >= 3
        assert f"minder_process_cpu_seconds_total{labels}" in got


def test_stopped_process_shows_its_new_state(minderd: Daemon) -> None:
    with minderd.daemon.rpc() as rpc:
        assert rpc.supervisor.stopProcess("jobs:jobs_01") is True
        info = rpc.supervisor.getProcessInfo("jobs:jobs_01")
    got = minderd.scrape()
    labels = '{group="jobs",name="jobs_01"}'
    assert got[f"minder_process_state{labels}"] == 0
    assert got['minder_process_state_info{group="jobs",name="jobs_01",state="STOPPED"}'] == 1
    assert got[f"minder_process_pid{labels}"] == 0
    assert got[f"minder_process_exit_status{labels}"] == info["exitstatus"]
    assert f"minder_process_cpu_seconds_total{labels}" not in got
    assert got['minder_processes{state="STOPPED"}'] >= 1
    assert got['minder_processes{state="RUNNING"}'] >= 3


def test_stuck_listener_pool_counts_dropped_events(minderd: Daemon) -> None:
    dropped = 'minder_event_buffer_dropped_total{pool="stuck"}'
    with minderd.daemon.rpc() as rpc:  # a few more state changes to overflow the buffer
        assert rpc.supervisor.stopProcess("web") is True
        assert rpc.supervisor.startProcess("web") is True
    value = wait_for(lambda: minderd.scrape()[dropped], what="a dropped event")
    logged = minderd.daemon.main_log().count("pool stuck event buffer overflowed")
    assert value >= 1
    assert value <= logged  # every drop is logged; the log may be a drop ahead of the scrape


def test_inet_server_requires_credentials(minderd: Daemon) -> None:
    status, headers, _ = http_request(None, "GET", "/metrics", port=minderd.port)
    assert status == 401
    assert "Basic" in headers.get("WWW-Authenticate", "")
    status, _, _ = http_request(
        None, "GET", "/metrics", port=minderd.port, headers=basic(USER, "wrong")
    )
    assert status == 401
    status, headers, body = http_request(
        None, "GET", "/metrics", port=minderd.port, headers=basic(USER, PASSWORD)
    )
    assert status == 200
    assert headers["Content-Type"] == CONTENT_TYPE
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert parse(body.decode())["minder_up"] == 1


def test_only_get_and_head(minderd: Daemon) -> None:
    sock = str(minderd.daemon.socket_path)
    assert http_request(sock, "HEAD", "/metrics")[0] == 200
    assert http_request(sock, "POST", "/metrics", body=b"")[0] == 405
