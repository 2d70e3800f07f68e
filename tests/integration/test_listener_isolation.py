"""A listener that hangs or dies never delays supervision or API calls."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from minder.engine.supervisor import Supervisor
from minder.model.pacing import Pacing
from minder.model.specs import (
    AutoRestart,
    GroupKind,
    GroupSpec,
    ListenerPoolSpec,
    LogSpec,
    ProcessSpec,
)
from minder.protocol.states import ProcessState
from tests.integration.test_listener_protocol import (
    ListLog,
    listener_pool,
    program,
    run_engine,
    state,
    until,
)


def test_hung_and_dead_listeners_do_not_delay_restarts_or_rpc(tmp_path: Path) -> None:
    chatty = tmp_path / "chatty.py"
    chatty.write_text(
        "import sys, time\n"
        "for _ in range(40):\n"
        "    sys.stdout.write('x' * 65536 + '\\n'); sys.stdout.flush()\n"
        "time.sleep(600)\n"
    )
    dead = ProcessSpec(name="dead", program_name="dead", command="false", priority=-1,
                       startsecs=0, autorestart=AutoRestart.ALWAYS)
    groups = [
        # subscribes to everything, says READY once, then never reads stdin again
        listener_pool(tmp_path, "hang", ("EVENT",), name="hung", buffer_size=3),
        GroupSpec("dead", GroupKind.EVENTLISTENER, priority=-1, processes=(dead,),
                  listener=ListenerPoolSpec(("EVENT",))),
        # pacing off: this is about listeners not slowing restarts, not about crash loops
        program("crasher", "false", autorestart=AutoRestart.ALWAYS, startretries=1000,
                pacing=Pacing(first=0)),
        program("chatty", f"{sys.executable} {chatty}",
                stdout=LogSpec(auto=False, path=str(tmp_path / "chatty.out"), events_enabled=True)),
        program("app", "sleep 600"),
    ]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        def spawns() -> int:
            return sum(1 for _, m in log.lines if m.startswith("spawned: 'crasher'"))

        await until(lambda: spawns() >= 20, timeout=30, what="crasher to be restarted 20 times")
        await until(lambda: (tmp_path / "chatty.out").stat().st_size >= 40 * 65537,
                    timeout=30, what="chatty's output to be logged in full")
        await until(lambda: state(sup, "app") == ProcessState.RUNNING)
        await asyncio.wait_for(sup.stop_process("app", "app"), 10)
        await asyncio.wait_for(sup.start_process("app", "app"), 10)
        assert state(sup, "hung") == ProcessState.RUNNING
        listeners = sup.event_listeners
        assert listeners is not None and listeners.dropped > 0
        assert log.has("ERRO", "pool hung event buffer overflowed, discarding event")

    run_engine(tmp_path, groups, scenario)
