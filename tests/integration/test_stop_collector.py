"""The engine's stop verb (behind stopAllProcesses, stopProcessGroup and the web
UI's and JSON API's stops) pauses the cyclic collector while the
stop runs (engine/gcpause.py ``collections_paused_awaiting``), and never for longer
than its cap: a child that ignores SIGTERM must not keep it off for a whole
stopwaitsecs. The real XML-RPC methods on the real engine with real children,
read from inside (a bus listener on the engine's own loop)."""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path

from minder.engine.gcpause import MAX_AWAITED_PAUSE
from minder.model.events import ProcessStateChanged
from minder.protocol.states import ProcessState as S
from minder.rpc.process_methods import ProcessMethods
from tests.integration.engine_helpers import (
    IGNORES_SIGTERM,
    Running,
    proc,
    program,
    root_of,
    run,
    script,
    until,
    until_state,
)


def test_the_collector_is_off_while_a_stop_all_runs_and_on_after(tmp_path: Path) -> None:
    names = [f"p{i}" for i in range(4)]
    groups = [program(proc(n, "/bin/sleep 300", tmp_path, startsecs=0)) for n in names]
    seen: list[bool] = []

    def on_event(event: object) -> None:
        if isinstance(event, ProcessStateChanged) and event.to_state is S.STOPPED:
            seen.append(gc.isenabled())

    async def scenario() -> None:
        async with Running(root_of(*groups, tmp=tmp_path)) as r:
            methods = ProcessMethods(r.sup)
            for name in names:
                await until_state(r.sup, name, name, S.RUNNING)
            r.sup.bus.add_listener(on_event, types=[ProcessStateChanged])
            assert gc.isenabled()
            # the engine API's verb, as the web UI and JSON API call it
            outcomes = await r.sup.stop_processes("p0", True)
            assert gc.isenabled()  # back on as soon as the stop has answered
            assert [(o.name, o.fault) for o in outcomes] == [("p0", None)]
            results = await methods.stopProcessGroup("p1", True)
            assert gc.isenabled()
            results += await methods.stopAllProcesses(True)
            assert gc.isenabled()
            assert sorted(r["name"] for r in results if r["status"] == 80) == names[1:]

    run(scenario())
    assert seen == [False] * 4  # every exit was handled with the collector paused


def test_a_child_that_ignores_sigterm_does_not_keep_the_collector_off(tmp_path: Path) -> None:
    stubborn = script(tmp_path, "stubborn", IGNORES_SIGTERM)
    # stopwaitsecs well past the cap: the SIGKILL timer fires after the cap's timer
    spec = proc("stubborn", stubborn, tmp_path, startsecs=0, stopwaitsecs=MAX_AWAITED_PAUSE + 3)

    at_stopping: list[bool] = []

    def on_event(event: object) -> None:
        if isinstance(event, ProcessStateChanged) and event.to_state is S.STOPPING:
            at_stopping.append(gc.isenabled())

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            await until(lambda: "ready" in (tmp_path / "stubborn.out").read_text())
            r.sup.bus.add_listener(on_event, types=[ProcessStateChanged])
            stop = asyncio.ensure_future(ProcessMethods(r.sup).stopAllProcesses(True))
            await until_state(r.sup, "stubborn", "stubborn", S.STOPPING)
            assert at_stopping == [False]  # paused when the stop began
            await until(gc.isenabled, timeout=MAX_AWAITED_PAUSE + 10, what="the collector's return")
            assert not stop.done()  # still waiting for its SIGKILL, collector on again
            results = await stop
            assert [(r["name"], r["status"]) for r in results] == [("stubborn", 80)]
            assert gc.isenabled()
            assert "stopped: stubborn (terminated by SIGKILL)" in r.log.text()

    run(scenario())
