"""Groups in the engine: ordering, shutdown, add/remove/update, fcgi, output and events."""

from __future__ import annotations

import asyncio
import os
import socket
from dataclasses import replace
from pathlib import Path

import pytest

from minder.model.events import (
    GroupAdded,
    GroupRemoved,
    ProcessLogChunk,
    ProcessStateChanged,
    SupervisorStateChanged,
)
from minder.model.specs import (
    FcgiSocketSpec,
    GroupKind,
    GroupSpec,
    LogSpec,
    ProcessSpec,
    RootSpec,
)
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import ProcessState as S
from minder.protocol.states import SupervisorState
from tests.integration.engine_helpers import (
    PY,
    SLEEP,
    Running,
    proc,
    program,
    root_of,
    run,
    script,
    until,
    until_state,
)


def spawned_order(r: Running) -> list[str]:
    return [
        e.name for e in r.events if isinstance(e, ProcessStateChanged) and e.to_state is S.STARTING
    ]


def stopped_order(r: Running) -> list[str]:
    return [
        e.name for e in r.events if isinstance(e, ProcessStateChanged) and e.to_state is S.STOPPING
    ]


def test_priority_orders_start_and_reverse_orders_stop(tmp_path: Path) -> None:
    groups = (
        program(proc("late", SLEEP, startsecs=0), priority=30),
        program(proc("early", SLEEP, startsecs=0), priority=10),
        GroupSpec(
            "mid",
            GroupKind.HETEROGENEOUS,
            priority=20,
            processes=(
                proc("m2", SLEEP, startsecs=0, priority=2),
                proc("m1", SLEEP, startsecs=0, priority=1),
            ),
        ),
    )
    root = RootSpec("t.conf", groups=tuple(sorted(groups, key=lambda g: (g.priority, g.name))))
    root = replace(root, daemon=replace(root.daemon, childlogdir=str(tmp_path)))

    async def scenario() -> Running:
        async with Running(root) as r:
            for name, group in (("late", "late"), ("early", "early"), ("m1", "mid"), ("m2", "mid")):
                await until_state(r.sup, group, name, S.RUNNING)
            assert spawned_order(r) == ["early", "m1", "m2", "late"]
            assert [s.name for s in r.sup.group_snapshots("mid")] == ["m1", "m2"]
            assert [(s.group, s.name) for s in r.sup.snapshots()] == [
                ("early", "early"),
                ("late", "late"),
                ("mid", "m1"),
                ("mid", "m2"),
            ]
        return r

    r = run(scenario())
    assert stopped_order(r) == ["late", "m2", "m1", "early"]
    states = [e.state for e in r.events if isinstance(e, SupervisorStateChanged)]
    assert states == [SupervisorState.RUNNING, SupervisorState.SHUTDOWN]


def test_shutdown_waits_group_by_group_and_gives_up_backoff(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        "slowstop",
        """
        import signal, sys, time
        def bye(*a):
            time.sleep(0.5)
            sys.exit(0)
        signal.signal(signal.SIGTERM, bye)
        print("ready", flush=True)
        time.sleep(300)
    """,
    )
    root = root_of(
        program(proc("first", SLEEP, startsecs=0), priority=1),
        program(proc("slow", cmd, tmp_path, startsecs=0), priority=2),
        program(proc("flap", f"{PY} -c 'pass'", startsecs=5, startretries=50), priority=3),
        tmp=tmp_path,
    )

    async def scenario() -> Running:
        async with Running(root) as r:
            await until(lambda: "ready" in (tmp_path / "slow.out").read_text())
            await until_state(r.sup, "flap", "flap", S.BACKOFF)
            assert r.sup.request_shutdown()
            assert not r.sup.request_shutdown()  # only once
            with pytest.raises(SupervisorFault) as info:
                await r.sup.start_process("first", "first")
            assert info.value.code is Faults.SHUTDOWN_STATE
            await r.sup.wait_finished()
            assert r.sup.snapshot("flap", "flap").state is S.FATAL
        return r

    r = run(scenario())
    changes = [(e.name, e.to_state) for e in r.events if isinstance(e, ProcessStateChanged)]
    # "first" is only asked to stop once "slow" (a higher priority number) has stopped.
    assert changes.index(("slow", S.STOPPED)) < changes.index(("first", S.STOPPING))


def test_add_remove_and_update_keep_unchanged_pids(tmp_path: Path) -> None:
    a = proc("a", SLEEP, startsecs=0)
    b = proc("b", SLEEP, startsecs=0)
    grp = GroupSpec("g", GroupKind.HETEROGENEOUS, processes=(a, b))
    root = root_of(grp, tmp=tmp_path)
    new_b = replace(b, command=f"{PY} -c 'import time; time.sleep(301)'")
    c = proc("c", SLEEP, startsecs=0)
    fresh = program(proc("fresh", SLEEP, startsecs=0, autostart=False))
    new_root = replace(root, groups=(replace(grp, processes=(a, new_b, c)), fresh))
    roots = [new_root]

    async def scenario() -> Running:
        async with Running(root, config_loader=lambda: roots[-1]) as r:
            sup = r.sup
            await until_state(sup, "g", "a", S.RUNNING)
            await until_state(sup, "g", "b", S.RUNNING)
            pid_a, pid_b = sup.snapshot("g", "a").pid, sup.snapshot("g", "b").pid
            diff = sup.reload_config()
            assert (diff.added, diff.changed, diff.removed) == (("fresh",), ("g",), ())
            report = await sup.update_group("g")
            assert (report.action, report.restarted, report.added) == ("updated", ("b",), ("c",))
            assert diff.plans == (report,)  # the reread's preview is what update then did
            await until_state(sup, "g", "b", S.RUNNING)
            await until_state(sup, "g", "c", S.RUNNING)
            assert sup.snapshot("g", "a").pid == pid_a  # untouched
            assert sup.snapshot("g", "b").pid != pid_b  # its command changed
            assert (await sup.update_group("g")).action == "unchanged"
            await sup.add_group("fresh")
            assert sup.snapshot("fresh", "fresh").state is S.STOPPED  # autostart=false
            with pytest.raises(SupervisorFault) as info:
                await sup.add_group("fresh")
            assert info.value.code is Faults.ALREADY_ADDED
            with pytest.raises(SupervisorFault) as info:
                await sup.add_group("nosuch")
            assert info.value.code is Faults.BAD_NAME
            with pytest.raises(SupervisorFault) as info:
                await sup.remove_group("g")
            assert info.value.code is Faults.STILL_RUNNING
            await sup.remove_group("fresh")
            roots.append(replace(new_root, groups=(fresh,)))
            sup.reload_config()
            assert (await sup.update_group("g")).action == "removed"
            assert "g" not in sup.groups
            entries = sup.config_entries()
            assert [(e.group.name, e.inuse) for e in entries] == [("fresh", False)]
        return r

    r = run(scenario())
    kinds = [type(e) for e in r.events if isinstance(e, GroupAdded | GroupRemoved)]
    assert kinds == [GroupAdded, GroupAdded, GroupRemoved, GroupRemoved]


def test_reload_config_reports_cant_reread(tmp_path: Path) -> None:
    def broken() -> RootSpec:
        raise ValueError("file.conf:3: bad value")

    async def scenario() -> None:
        async with Running(root_of(tmp=tmp_path), config_loader=broken) as r:
            with pytest.raises(SupervisorFault) as info:
                r.sup.reload_config()
            assert info.value.code is Faults.CANT_REREAD
            assert "bad value" in info.value.text
            with pytest.raises(SupervisorFault) as info:
                await r.sup.restart()
            assert info.value.code is Faults.CANT_REREAD
            assert r.sup.supervisor_state() is SupervisorState.RUNNING

    run(scenario())


def test_output_goes_to_logs_and_to_log_subscribers(tmp_path: Path) -> None:
    cmd = script(
        tmp_path,
        "spew",
        """
        import sys
        sys.stdout.write("\\x1b[31mred\\x1b[0m out\\n" * 3)
        sys.stdout.flush()
        sys.stderr.write("err line\\n")
        sys.stderr.flush()
        sys.stdout.write("x" * 300000 + "\\n")
        sys.stdout.flush()
        import time; time.sleep(300)
    """,
    )
    spec = proc("spew", cmd, startsecs=0, stdout=LogSpec(auto=True), stderr=LogSpec(auto=True))

    async def scenario() -> None:
        root = root_of(program(spec), tmp=tmp_path, strip_ansi=True, identifier="itest")
        async with Running(root) as r:
            sub = r.sup.subscribe(logs=True, maxsize=10000)
            quiet = r.sup.subscribe(logs=False, maxsize=2)
            out_path = r.sup.log_path("spew", "spew", "stdout")
            err_path = r.sup.log_path("spew", "spew", "stderr")
            assert out_path and os.path.basename(out_path).startswith("spew-stdout---itest-")
            assert err_path and os.path.dirname(err_path) == str(tmp_path)

            def out_done() -> bool:
                return Path(out_path).stat().st_size >= 300001 + 3 * 8

            await until(out_done, what="all stdout in the log")
            text = Path(out_path).read_text()
            assert text.startswith("red out\nred out\nred out\n")
            await until(lambda: Path(err_path).read_text() == "err line\n")
            chunks: list[ProcessLogChunk] = []
            while (event := sub.get_nowait()) is not None:
                if isinstance(event, ProcessLogChunk):
                    chunks.append(event)
            stdout = b"".join(c.data for c in chunks if c.channel == "stdout")
            assert stdout.startswith(b"red out\n") and len(stdout) >= 300001
            assert all(c.pid == r.sup.snapshot("spew", "spew").pid for c in chunks)
            assert quiet.dropped >= 0
            sub.close()
            quiet.close()

    run(scenario())


def test_subscription_drops_oldest_when_full(tmp_path: Path) -> None:
    async def scenario() -> None:
        async with Running(root_of(tmp=tmp_path)) as r:
            sub = r.sup.subscribe(maxsize=2)
            for i in range(5):
                r.sup.send_remote_comm_event("t", str(i))
            assert sub.dropped == 3
            first = await sub.get()
            assert getattr(first, "data", None) == "3"
            sub.close()

    run(scenario())


def test_fcgi_socket_is_stdin_of_every_process_and_closed_after(tmp_path: Path) -> None:
    sock_path = str(tmp_path / "fcgi.sock")
    cmd = script(
        tmp_path,
        "fcgi",
        """
        import os, socket, sys, time
        s = socket.socket(fileno=os.dup(0))
        conn, _ = s.accept()
        conn.sendall(os.environ["SUPERVISOR_PROCESS_NAME"].encode())
        conn.close()
        time.sleep(300)
    """,
    )
    procs = tuple(proc(f"f_{n}", cmd, startsecs=0, process_num=n, numprocs=2) for n in range(2))
    grp = GroupSpec(
        "f",
        GroupKind.FCGI,
        processes=procs,
        fcgi=FcgiSocketSpec(url=f"unix://{sock_path}", family="unix", path=sock_path),
    )

    def ask() -> bytes:
        with socket.socket(socket.AF_UNIX) as c:
            c.settimeout(10)
            c.connect(sock_path)
            return c.recv(100)

    async def scenario() -> None:
        async with Running(root_of(grp, tmp=tmp_path)) as r:
            await until_state(r.sup, "f", "f_0", S.RUNNING)
            await until_state(r.sup, "f", "f_1", S.RUNNING)
            loop = asyncio.get_running_loop()
            answers = {await loop.run_in_executor(None, ask) for _ in range(2)}
            assert answers == {b"f_0", b"f_1"}
            await r.sup.stop_process("f", "f_0")
            assert os.path.exists(sock_path)
            await r.sup.stop_process("f", "f_1")
            assert not os.path.exists(sock_path)  # the last one closed it
            await r.sup.start_process("f", "f_0")
            assert os.path.exists(sock_path)

    run(scenario())


def test_a_failing_bus_listener_does_not_break_supervision(tmp_path: Path) -> None:
    spec = proc("steady", SLEEP, startsecs=0)

    def broken(event: object) -> None:
        raise RuntimeError("consumer bug")

    async def scenario() -> None:
        async with Running(root_of(program(spec), tmp=tmp_path)) as r:
            r.sup.bus.add_listener(broken)
            await r.sup.stop_process("steady", "steady")
            await r.sup.start_process("steady", "steady")
            assert r.sup.snapshot("steady", "steady").state is S.RUNNING
            assert "consumer bug" in r.log.text()

    run(scenario())


def test_depends_on_orders_start_and_stop(tmp_path: Path) -> None:
    db = proc("db", SLEEP, startsecs=1, priority=900)
    web = proc("web", SLEEP, startsecs=0, depends_on=("db",), priority=1)
    cron = proc("cron", SLEEP, startsecs=0, depends_on=("web",))
    root = root_of(
        program(web, priority=1),
        program(db, priority=900),
        program(cron),
        GroupSpec("empty", GroupKind.HETEROGENEOUS),
        tmp=tmp_path,
    )

    async def scenario() -> Running:
        async with Running(root) as r:
            for name in ("db", "web", "cron"):
                await until_state(r.sup, name, name, S.RUNNING)
            # web has the lower priority number but waits for db to be RUNNING.
            changes = [(e.name, e.to_state) for e in r.events if isinstance(e, ProcessStateChanged)]
            assert changes.index(("db", S.RUNNING)) < changes.index(("web", S.STARTING))
            assert changes.index(("web", S.RUNNING)) < changes.index(("cron", S.STARTING))
            lines = [msg for _, msg in r.log.lines]

            def at(prefix: str) -> int:
                return next(i for i, m in enumerate(lines) if m.startswith(prefix))

            assert at("success: db") < at("spawned: 'web'")
            assert at("success: web") < at("spawned: 'cron'")
            assert "web waits for db to be ready before it starts" in r.log.text()
        return r

    r = run(scenario())
    assert stopped_order(r) == ["cron", "web", "db"]


def test_a_stopped_rolling_update_keeps_the_old_environment_for_the_next_update(
    tmp_path: Path,
) -> None:
    """update_strategy=rolling with a changed [supervisord] environment and numprocs
    grown: the first new process fails, so the rest keep their pids, the added one is
    not created, and the group keeps the old environment, so the next update (a fixed
    config) replaces every process still on the old one and adds the new member."""
    def procs(n: int, first: str) -> tuple[ProcessSpec, ...]:
        return tuple(replace(proc(f"w_{i}", first if i == 0 else SLEEP, startsecs=1,
                                  startretries=0), program_name="w") for i in range(n))

    def grp(n: int, first: str) -> GroupSpec:
        return GroupSpec("w", GroupKind.PROGRAM, processes=procs(n, first),
                         update_strategy="rolling", update_batch=1)

    root = root_of(grp(3, SLEEP), tmp=tmp_path, environment=(("V", "1"),))
    broken = replace(root, daemon=replace(root.daemon, environment=(("V", "2"),)),
                     groups=(grp(4, f"{PY} -c 'raise SystemExit(1)'"),))
    fixed = replace(broken, groups=(grp(4, SLEEP),))
    roots = [broken]
    names = ("w_0", "w_1", "w_2")

    async def scenario() -> Running:
        async with Running(root, config_loader=lambda: roots[-1]) as r:
            sup = r.sup
            for n in names:
                await until_state(sup, "w", n, S.RUNNING)
            old = {n: sup.snapshot("w", n).pid for n in names}
            sup.reload_config()
            with pytest.raises(SupervisorFault) as info:
                await sup.update_group("w")
            assert info.value.code is Faults.FAILED
            assert "left on the old version: w:w_1, w:w_2" in (info.value.extra or "")
            assert sup.snapshot("w", "w_0").state is not S.RUNNING
            assert {n: sup.snapshot("w", n).pid for n in names[1:]} == {
                n: old[n] for n in names[1:]}
            assert "w_3" not in sup.groups["w"].processes  # added only after success
            assert sup.groups["w"].daemon_env == (("V", "1"),)
            assert "w: rolling update: w:w_1 not reached (rollout aborted)" in r.log.text()
            roots.append(fixed)
            diff = sup.reload_config()
            assert diff.changed == ("w",)
            report = await sup.update_group("w")
            assert (report.restarted, report.added) == (names, ("w_3",))
            for n in (*names, "w_3"):
                await until_state(sup, "w", n, S.RUNNING)
            assert all(sup.snapshot("w", n).pid != old[n] for n in names[1:])
            assert sup.groups["w"].daemon_env == (("V", "2"),)
            assert sup.reload_config().changed == ()
        return r

    run(scenario())
