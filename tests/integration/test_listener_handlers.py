"""result_handler: a configured module:callable, and one that cannot be loaded."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from minder.engine.supervisor import Supervisor
from minder.model.specs import AutoRestart, GroupKind, GroupSpec, ListenerPoolSpec, ProcessSpec
from minder.protocol.states import ProcessState
from tests.integration.test_listener_protocol import ListLog, run_engine, state, until

ANSWERING_LISTENER = r'''
import sys
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
while True:
    stdout.write(b"READY\n"); stdout.flush()
    line = stdin.readline()
    if not line:
        break
    size = int(dict(t.split(b":", 1) for t in line.split())[b"len"])
    payload = stdin.read(size)
    answer = payload.split(b"\n", 1)[1]  # REMOTE_COMMUNICATION data is the answer
    stdout.write(b"RESULT %d\n%s" % (len(answer), answer)); stdout.flush()
'''

HANDLER_MODULE = '''
from supervisor.dispatchers import RejectEvent
SEEN = []
def handle(event, response):
    SEEN.append((event.serial, event.payload(), response))
    if response == b"again":
        raise RejectEvent(response)
'''


def answering_pool(tmp: Path, handler: str) -> GroupSpec:
    script = tmp / "answer.py"
    script.write_text(ANSWERING_LISTENER)
    proc = ProcessSpec(name="ans", program_name="ans", command=f"{sys.executable} {script}",
                       priority=-1, startsecs=0, autorestart=AutoRestart.ALWAYS)
    return GroupSpec("ans", GroupKind.EVENTLISTENER, priority=-1, processes=(proc,),
                     listener=ListenerPoolSpec(("REMOTE_COMMUNICATION",), 10, handler))


def test_custom_result_handler_sees_event_and_body_and_can_reject(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("supervisor.dispatchers")
    (tmp_path / "my_handlers.py").write_text(HANDLER_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "my_handlers", raising=False)

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        import my_handlers  # type: ignore[import-not-found]

        await until(lambda: state(sup, "ans") == ProcessState.RUNNING)
        sup.send_remote_comm_event("t", "done")
        await until(lambda: len(my_handlers.SEEN) >= 1)
        assert my_handlers.SEEN[0] == (0, "type:t\ndone", b"done")
        assert not log.has("WARN", "event was rejected")
        sup.send_remote_comm_event("t", "again")
        await until(lambda: len(my_handlers.SEEN) >= 3, what="the rejected event twice")
        assert [s[0] for s in my_handlers.SEEN[1:3]] == [1, 1]
        assert log.has("WARN", "ans: event was rejected")

    run_engine(tmp_path, [answering_pool(tmp_path, "my_handlers:handle")], scenario)


def test_unloadable_result_handler_is_reported_and_supervision_goes_on(tmp_path: Path) -> None:
    pool = answering_pool(tmp_path, "no_such_module_xyz:handle")

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: state(sup, "ans") == ProcessState.RUNNING)
        assert log.has("ERRO", "pool ans gets no events: cannot load result_handler")
        sup.send_remote_comm_event("t", "x")  # nobody takes it; nothing breaks

    run_engine(tmp_path, [pool], scenario)
