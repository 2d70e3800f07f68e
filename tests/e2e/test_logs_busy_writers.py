"""Busy line writers under a real minderd: read batching loses and reorders nothing.

Four children write 100-byte numbered lines as fast as they can, one
write(2) per line, so their pipes are batched (engine/readbatch.py) while a
quiet child waits on its stdin. Each busy child takes a different path
through the capture pipeline: spliced into a plain log (followed through
/logtail meanwhile), spliced across rotations, read for PROCESS_LOG events,
and read through capture mode. Every child exits when done, so its last
lines are drained at the reap. Every log must hold exactly the lines
written, in order; the quiet child's echo must arrive as well.
"""

from __future__ import annotations

import sys
import threading
from pathlib import Path

from tests.support.daemons import UnixStreamHTTPConnection, run_daemon, wait_for

LINES = 150_000  # 15 MB a child
WRITER = """
import os, sys
n, capture = int(sys.argv[1]), len(sys.argv) > 2
for i in range(n):
    os.write(1, b"%08d %s\\n" % (i, b"b" * 90))
    if capture and i == n // 2:
        os.write(1, b"<!--XSUPERVISOR:BEGIN-->captured<!--XSUPERVISOR:END-->")
os.write(1, b"done\\n")
"""
ECHO = """
import os, sys
while line := sys.stdin.readline():
    os.write(1, line.encode())
"""


def expected() -> bytes:
    return b"".join(b"%08d %s\n" % (i, b"b" * 90) for i in range(LINES)) + b"done\n"


def kept(path: Path) -> bytes:
    backups = sorted(path.parent.glob(path.name + ".*"), key=lambda p: -int(p.suffix[1:]))
    return b"".join(p.read_bytes() for p in [*backups, path])


def test_busy_line_writers_lose_nothing_on_any_capture_path(tmp_path: Path) -> None:
    (tmp_path / "writer.py").write_text(WRITER)
    (tmp_path / "echo.py").write_text(ECHO)
    (tmp_path / "plain.log").write_bytes(b"")  # /logtail follows an existing log only
    writer = f"{sys.executable} {tmp_path / 'writer.py'} {LINES}"
    common = "autostart=false\nstartsecs=0\nautorestart=false\n"
    body = f"""
[program:plain]
command={writer}
stdout_logfile={tmp_path}/plain.log
{common}
[program:rotated]
command={writer}
stdout_logfile={tmp_path}/rotated.log
stdout_logfile_maxbytes=1MB
stdout_logfile_backups=30
{common}
[program:events]
command={writer}
stdout_logfile={tmp_path}/events.log
stdout_events_enabled=true
{common}
[program:captured]
command={writer} capture
stdout_logfile={tmp_path}/captured.log
stdout_capture_maxbytes=1KB
{common}
[program:quiet]
command={sys.executable} {tmp_path / 'echo.py'}
stdout_logfile={tmp_path}/quiet.log
startsecs=0
"""
    with run_daemon(tmp_path, body) as daemon, daemon.rpc() as rpc:
        wait_for(lambda: rpc.supervisor.getProcessInfo("quiet")["statename"] == "RUNNING")
        followed: list[bytes] = []
        conn = UnixStreamHTTPConnection(str(daemon.socket_path), timeout=60)
        conn.request("GET", "/logtail/plain")
        response = conn.getresponse()
        assert response.status == 200

        def follow() -> None:
            seen = b""
            while not seen.endswith(b"done\n") and (data := response.read1(1 << 16)):
                seen += data
            followed.append(seen)

        tail = threading.Thread(target=follow, daemon=True)
        tail.start()
        try:
            for name in ("plain", "rotated", "events", "captured"):
                rpc.supervisor.startProcess(name, False)
            def finished() -> bool:
                infos = rpc.supervisor.getAllProcessInfo()
                return all(i["statename"] == "EXITED" for i in infos if i["name"] != "quiet")

            wait_for(finished, timeout=120, what="the busy writers to finish")
            rpc.supervisor.sendProcessStdin("quiet", "still here\n")
            wait_for(lambda: (tmp_path / "quiet.log").read_bytes() == b"still here\n")
            tail.join(60)
        finally:
            conn.close()
    want = expected()
    for name in ("plain", "rotated", "events", "captured"):
        assert kept(tmp_path / f"{name}.log") == want, name
    assert followed == [want]  # /logtail streamed the whole log, in order
