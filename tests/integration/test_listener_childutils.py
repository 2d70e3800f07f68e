"""Listeners written with childutils: minder's, and supervisor's unchanged."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from minder.engine.supervisor import Supervisor
from minder.model.specs import AutoRestart, GroupKind, GroupSpec, ListenerPoolSpec, ProcessSpec
from minder.protocol.states import ProcessState
from tests.integration.test_listener_protocol import ListLog, run_engine, state, until

SCRIPT = r'''
import json, sys
from {module} import childutils
out = sys.argv[1]
while True:
    headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
    fields, data = childutils.eventdata(payload)
    with open(out, "a") as f:
        f.write(json.dumps([headers["eventname"], fields, data]) + "\n")
    childutils.listener.ok(sys.stdout)
'''


def pool(tmp: Path, module: str) -> GroupSpec:
    name = module.split(".")[0]
    script = tmp / f"{name}_listener.py"
    script.write_text(SCRIPT.format(module=module))
    proc = ProcessSpec(
        name=name, program_name=name, priority=-1, startsecs=0,
        command=f"{sys.executable} {script} {tmp / (name + '.jsonl')}",
        autorestart=AutoRestart.ALWAYS,
    )
    return GroupSpec(name, GroupKind.EVENTLISTENER, priority=-1, processes=(proc,),
                     listener=ListenerPoolSpec(("REMOTE_COMMUNICATION",)))


def records(path: Path) -> list[list[object]]:
    if not path.exists():
        return []
    complete = path.read_text().split("\n")[:-1]  # a line still being written is skipped
    return [json.loads(line) for line in complete]


@pytest.mark.parametrize(
    ("module", "text"),
    [("minder", "grüße ✓ non-ASCII"), ("supervisor", "plain ascii")],
)
def test_childutils_listener_receives_events(tmp_path: Path, module: str, text: str) -> None:
    pytest.importorskip(f"{module}.childutils")
    out = tmp_path / f"{module}.jsonl"

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: state(sup, module) == ProcessState.RUNNING)
        sup.send_remote_comm_event("one", text)
        sup.send_remote_comm_event("two", "second")
        await until(lambda: len(records(out)) >= 2, what="two events recorded")
        assert records(out) == [
            ["REMOTE_COMMUNICATION", {"type": "one"}, text],
            ["REMOTE_COMMUNICATION", {"type": "two"}, "second"],
        ]
        assert not log.has("WARN", "UNKNOWN state")

    run_engine(tmp_path, [pool(tmp_path, module)], scenario)


def test_rpc_interface_over_http_sends_basic_auth(tmp_path: Path) -> None:
    import threading
    from xmlrpc.server import SimpleXMLRPCRequestHandler, SimpleXMLRPCServer

    from minder import childutils

    seen_auth: list[str | None] = []

    class Handler(SimpleXMLRPCRequestHandler):
        rpc_paths = ("/RPC2",)

        def decode_request_content(self, data: bytes) -> bytes | None:
            seen_auth.append(self.headers.get("Authorization"))
            return super().decode_request_content(data)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = SimpleXMLRPCServer(("127.0.0.1", 0), requestHandler=Handler, logRequests=False)
    server.register_function(lambda: {"statename": "RUNNING"}, "supervisor.getState")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        rpc = childutils.getRPCInterface({
            "SUPERVISOR_SERVER_URL": f"http://127.0.0.1:{port}",
            "SUPERVISOR_USERNAME": "user",
            "SUPERVISOR_PASSWORD": "pass",
        })
        assert rpc.supervisor.getState() == {"statename": "RUNNING"}
        rpc("close")()
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert seen_auth == ["Basic dXNlcjpwYXNz"]
