"""A listener built on minder.childutils calls back into minderd over its unix socket."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from tests.support.daemons import descendants, run_daemon, wait_for

LISTENER = r'''
import json, os, sys
from minder import childutils
out = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait()
    rpc = childutils.getRPCInterface(os.environ)
    info = rpc.supervisor.getProcessInfo("app")
    with open(out, "a") as f:
        f.write(json.dumps([headers["eventname"], info["statename"], info["pid"]]) + "\n")
    childutils.listener.ok()
'''


def test_listener_uses_the_rpc_interface_from_its_environment(tmp_path: Path) -> None:
    script = tmp_path / "listener.py"
    script.write_text(LISTENER)
    out = tmp_path / "seen.jsonl"
    body = f"""\
        [eventlistener:caller]
        command={sys.executable} {script} {out}
        events=PROCESS_STATE_RUNNING
        startsecs=0

        [program:app]
        command=sleep 600
        startsecs=1
        """
    with run_daemon(tmp_path, body) as daemon:
        proxy = daemon.rpc()
        try:
            pid = wait_for(lambda: proxy.supervisor.getProcessInfo("app")["pid"], timeout=20)
        finally:
            proxy("close")()

        def app_seen() -> bool:
            lines = out.read_text().split("\n")[:-1] if out.exists() else []
            return ["PROCESS_STATE_RUNNING", "RUNNING", pid] in [json.loads(x) for x in lines]

        wait_for(app_seen, timeout=20, what="the listener to query app over XML-RPC")
    assert descendants(os.getpid()) == []
