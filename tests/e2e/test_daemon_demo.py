"""The demo config (``make run``) works: chatty, crashing and numprocs programs, both servers."""

from __future__ import annotations

import base64
import subprocess
import urllib.request
import xmlrpc.client
from pathlib import Path
from typing import Any

from tests.support.daemons import VENV_BIN, process_alive, rpc_proxy, wait_for
from tests.support.ports import free_port

DEMO = Path(__file__).resolve().parents[2] / "examples" / "demo"


def test_demo_config_runs(tmp_path: Path) -> None:
    port = free_port()
    sock = tmp_path / "demo.sock"
    text = (DEMO / "minder.conf").read_text()
    text = text.replace("/tmp/minder-demo.sock", str(sock))
    text = text.replace("/tmp/minder-demo.log", str(tmp_path / "demo.log"))
    text = text.replace("/tmp/minder-demo.pid", str(tmp_path / "demo.pid"))
    text = text.replace("childlogdir=/tmp", f"childlogdir={tmp_path}")
    text = text.replace("127.0.0.1:9001", f"127.0.0.1:{port}")
    text = text.replace("%(here)s", str(DEMO))
    conf = tmp_path / "minder.conf"
    conf.write_text(text)
    proc = subprocess.Popen(
        [str(VENV_BIN / "minderd"), "-n", "-c", str(conf)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    pids: list[int] = []
    try:

        def infos() -> dict[str, dict[str, object]]:
            with rpc_proxy(str(sock)) as proxy:
                return {
                    f"{i['group']}:{i['name']}": i for i in proxy.supervisor.getAllProcessInfo()
                }

        wait_for(lambda: infos()["chatty:chatty"]["statename"] == "RUNNING", timeout=30)
        assert {k for k in infos() if k.startswith("worker:")} == {
            "worker:worker_00",
            "worker:worker_01",
            "worker:worker_02",
        }
        first = infos()["crasher:crasher"]["pid"]
        wait_for(
            lambda: infos()["crasher:crasher"]["pid"] not in (0, first),
            timeout=30,
            what="the crasher to be restarted",
        )
        pids = [int(str(i["pid"])) for i in infos().values() if i["pid"]]

        # The authenticated TCP server answers with demo/demo.
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/RPC2",
            data=xmlrpc.client.dumps((), "supervisor.getState").encode(),
            headers={
                "Content-Type": "text/xml",
                "Authorization": "Basic " + base64.b64encode(b"demo:demo").decode(),
            },
        )
        with urllib.request.urlopen(request, timeout=20) as response:
            params, _ = xmlrpc.client.loads(response.read())
        state: Any = params[0]
        assert state["statename"] == "RUNNING"
    finally:
        proc.terminate()
        proc.wait(60)
    assert proc.returncode == 0
    wait_for(lambda: not any(process_alive(pid) for pid in pids), what=f"demo children {pids} gone")
