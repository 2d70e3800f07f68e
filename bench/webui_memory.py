"""Memory of minderd and supervisord after their web UI and /metrics have been used.

    .venv/bin/python -m bench.webui_memory [--programs N] [--rounds R]

Each daemon starts on the same config (N sleeping programs, an
inet_http_server on a free loopback port), settles, and its RSS and PSS
are read from /proc; then the same requests are sent to both, R times
each — what a browser opening the dashboard asks for (the page, its
stylesheet and scripts, the process list, a few seconds of the live event
stream), the tail page, and a Prometheus scrape of /metrics (a 404 from
supervisord, which has none) — and, after a pause, memory is read again.
Memory that a request takes and never gives back shows up as the
difference. Prints one table (docs/performance.md quotes it).
"""

from __future__ import annotations

import argparse
import http.client
import re
import shutil
import socket
import sys
import tempfile
import time
from pathlib import Path

from bench import daemons, procfs

SETTLE_SECONDS = 2.0


def pss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/smaps_rollup") as f:
        for line in f:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write_config(workdir: Path, port: int, programs: int) -> Path:
    conf = workdir / "webui-memory.conf"
    body = [
        "[supervisord]",
        f"logfile={workdir}/main.log",
        f"pidfile={workdir}/daemon.pid",
        "nodaemon=true",
        "[unix_http_server]",
        f"file={workdir}/bench.sock",
        "[inet_http_server]",
        f"port=127.0.0.1:{port}",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface",
        "[supervisorctl]",
        f"serverurl=http://127.0.0.1:{port}",
    ]
    for i in range(programs):
        body += [f"[program:p{i}]", "command=sleep 100000", "startsecs=0"]
    conf.write_text("\n".join(body) + "\n")
    return conf


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def read_stream(port: int, seconds: float) -> None:
    """Open the live event stream as the dashboard does, read it a while, hang up."""
    with socket.create_connection(("127.0.0.1", port), timeout=seconds + 5) as sock:
        sock.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        deadline = time.monotonic() + seconds
        sock.settimeout(0.2)
        while time.monotonic() < deadline:
            try:
                if not sock.recv(65536):
                    return
            except TimeoutError:
                continue


def use_the_ui(port: int, rounds: int) -> dict[str, int]:
    """The requests, the same for both daemons; the status each got (last round)."""
    statuses: dict[str, int] = {}
    for _ in range(rounds):
        status, page = get(port, "/")
        statuses["/"] = status
        paths = ["/tail.html?processname=p0", "/metrics", "/api/v1/daemon", "/api/v1/processes"]
        static = re.search(rb'href="(static/[0-9a-f]+)/app.css"', page)
        if static:
            prefix = static.group(1).decode()
            paths += [f"/{prefix}/{name}" for name in ("app.css", "js/app.js", "js/table.js")]
        for path in paths:
            statuses[path.split("?")[0]] = get(port, path)[0]
        read_stream(port, 1.0)
    return statuses


Figures = tuple[float, float, float, float, dict[str, int]]


def measure(kind: str, programs: int, rounds: int) -> Figures:
    workdir = Path(tempfile.mkdtemp(prefix=f"bench-webui-{kind}-"))
    port = free_port()
    try:
        conf = write_config(workdir, port, programs)
        with daemons.running(kind, conf) as daemon:
            time.sleep(SETTLE_SECONDS)
            before = (procfs.rss_mib(daemon.pid), pss_mib(daemon.pid))
            statuses = use_the_ui(port, rounds)
            time.sleep(SETTLE_SECONDS)
            after = (procfs.rss_mib(daemon.pid), pss_mib(daemon.pid))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)  # config, socket and logs of this run
    return before[0], before[1], after[0], after[1], statuses


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--programs", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    print(
        f"{'daemon':<12} {'RSS idle':>9} {'PSS idle':>9} {'RSS after':>10} {'PSS after':>10}"
    )
    for kind in daemons.DAEMONS:
        rss0, pss0, rss1, pss1, statuses = measure(kind, args.programs, args.rounds)
        print(f"{kind:<12} {rss0:9.1f} {pss0:9.1f} {rss1:10.1f} {pss1:10.1f}")
        print(f"{'':<12} statuses: {statuses}", file=sys.stderr, flush=True)
    print("(MiB; RSS from /proc/<pid>/status, PSS from /proc/<pid>/smaps_rollup)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
