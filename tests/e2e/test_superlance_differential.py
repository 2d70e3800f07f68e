"""The same listener under minderd and upstream supervisord sees the same events.

A recording listener (raw bytes, so ``len`` must be right) subscribes to
state, group, supervisor and remote events; the scenario starts a program,
stops it over XML-RPC and sends a remote event. The envelopes about that
program must match once pids and serials are normalised.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

from tests.support.daemons import descendants, run_daemon, wait_for

RECORDER = r'''
import os, sys
out = sys.argv[1]
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
n = 0
while True:
    stdout.write(b"READY\n"); stdout.flush()
    line = stdin.readline()
    if not line:
        break
    size = int(dict(t.split(b":", 1) for t in line.split())[b"len"])
    payload = stdin.read(size)
    n += 1
    path = os.path.join(out, "%06d.bin" % n)
    with open(path + ".tmp", "wb") as f:
        f.write(line + payload)
    os.rename(path + ".tmp", path)  # readers never see a half-written file
    stdout.write(b"RESULT 2\nOK"); stdout.flush()
'''


def envelopes(out: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(out.glob("*.bin"))]


def normalise(envelope: bytes) -> tuple[str, dict[str, str], str]:
    head, _, payload = envelope.partition(b"\n")
    headers = dict(t.split(":", 1) for t in head.decode().split())
    assert int(headers["len"]) == len(payload)
    assert list(headers) == ["ver", "server", "serial", "pool", "poolserial", "eventname", "len"]
    text = re.sub(r"pid:\d+", "pid:N", payload.decode())
    fixed = {k: v for k, v in headers.items() if k not in ("serial", "poolserial", "len")}
    return headers["eventname"], fixed, text


def scenario(tmp: Path, kind: str) -> list[tuple[str, dict[str, str], str]]:
    recorder = tmp / "recorder.py"
    recorder.write_text(RECORDER)
    out = tmp / "events"
    out.mkdir()
    body = f"""\
        [eventlistener:rec]
        command={sys.executable} {recorder} {out}
        events=PROCESS_STATE,PROCESS_GROUP,SUPERVISOR_STATE_CHANGE,REMOTE_COMMUNICATION
        buffer_size=100
        startsecs=0

        [program:app]
        command=sleep 600
        startsecs=1
        """

    def app_events() -> list[bytes]:
        return [e for e in envelopes(out) if b"processname:app " in e]

    with run_daemon(tmp, body, kind=kind) as daemon:
        proxy = daemon.rpc()
        try:
            wait_for(lambda: len(app_events()) >= 2, timeout=30, what="app STARTING, RUNNING")
            proxy.supervisor.stopProcess("app")
            wait_for(lambda: len(app_events()) >= 4, timeout=30, what="app STOPPING, STOPPED")
            proxy.supervisor.sendRemoteCommEvent("kind", "some data")
            wait_for(lambda: any(b"REMOTE" in e for e in envelopes(out)), timeout=30)
        finally:
            proxy("close")()
    got = [normalise(e) for e in envelopes(out)]
    about_app = ("processname:app ", "groupname:app\n", "type:kind\n")
    return [g for g in got if any(g[2].startswith(a) for a in about_app)]


@pytest.mark.parametrize("kind", ["supervisord", "minderd"])
def test_listener_sees_the_same_envelopes_as_under_supervisord(
    tmp_path: Path, kind: str
) -> None:
    events = scenario(tmp_path, kind)
    headers = {"ver": "3.0", "server": "testsuper", "pool": "rec"}
    expected = [
        ("PROCESS_GROUP_ADDED", "groupname:app\n"),
        ("PROCESS_STATE_STARTING", "processname:app groupname:app from_state:STOPPED tries:0"),
        ("PROCESS_STATE_RUNNING", "processname:app groupname:app from_state:STARTING pid:N"),
        ("PROCESS_STATE_STOPPING", "processname:app groupname:app from_state:RUNNING pid:N"),
        ("PROCESS_STATE_STOPPED", "processname:app groupname:app from_state:STOPPING pid:N"),
        ("REMOTE_COMMUNICATION", "type:kind\nsome data"),
    ]
    assert [(name, text) for name, _, text in events] == expected
    for name, fixed, _ in events:
        assert fixed == {**headers, "eventname": name}
    assert descendants(os.getpid()) == []
