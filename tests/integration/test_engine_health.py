"""Readiness, liveness, sd_notify, rlimits and memory limits on real children."""

from __future__ import annotations

import functools
import time
from pathlib import Path

import pytest

from minder.engine.api import ProcessSnapshot, VitalsSnapshot
from minder.model.events import ProcessReadinessChanged
from minder.model.specs import HealthSpec, ProbeSpec, ResourceSpec
from minder.protocol.states import ProcessState
from tests.integration.engine_helpers import (
    Running,
    proc,
    program,
    root_of,
    run,
    script,
    until,
    until_state,
)
from tests.integration.engine_helpers import no_leftovers as no_leftovers
from tests.support.ports import free_port

pytestmark = pytest.mark.usefixtures("no_leftovers")


def vitals_of(snap: ProcessSnapshot) -> VitalsSnapshot:
    """The vitals of a process minder runs (None only for a fake engine's)."""
    assert snap.vitals is not None
    return snap.vitals


def is_ready(r: Running, group: str, name: str) -> bool:
    return vitals_of(r.sup.snapshot(group, name)).ready


def late_server(tmp: Path, port: int, delay: float) -> str:
    """A TCP server that opens its port ``delay`` seconds after it starts."""
    return script(tmp, f"late{port}", f"""
        import socket, time
        time.sleep({delay})
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", {port}))
        s.listen(64)
        open({str(tmp / f"opened{port}")!r}, "w").write(repr(time.time()))
        while True:
            c, _ = s.accept()
            c.close()
    """)


def test_dependent_starts_only_after_the_dependency_opened_its_port(
    tmp_path: Path
) -> None:
    port = free_port()
    db = proc("db", late_server(tmp_path, port, 3.0), startsecs=0, health=HealthSpec(
        ready=ProbeSpec("tcp", f"tcp://127.0.0.1:{port}", "127.0.0.1", port, 0.1, 0.5)))
    stamp = tmp_path / "web-started"
    web = proc("web", script(tmp_path, "web", f"""
        import time
        open({str(stamp)!r}, "w").write(repr(time.time()))
        time.sleep(600)
    """), startsecs=0, depends_on=("db",))

    async def main() -> None:
        async with Running(root_of(program(db), program(web))) as r:
            await until(lambda: stamp.exists() and stamp.read_text(), 20, "web to start")
            opened = float((tmp_path / f"opened{port}").read_text())
            started = float(stamp.read_text())
            assert started >= opened, "web started before db opened its port"
            snap = r.sup.snapshot("db", "db")
            assert snap.vitals is not None and snap.vitals.ready
            assert "connected to 127.0.0.1" in vitals_of(snap).last_answer
            ready = [e for e in r.events if isinstance(e, ProcessReadinessChanged)]
            assert ready[0].name == "db" and ready[0].ready
            assert "web waits for db to be ready before it starts" in r.log.text()

    run(main())


def test_an_sd_notify_program_written_with_the_standard_library_becomes_ready(
    tmp_path: Path
) -> None:
    command = script(tmp_path, "notifier", """
        import os, socket, time
        def notify(text):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            s.sendto(text.encode(), os.environ["NOTIFY_SOCKET"])
            s.close()
        notify("STATUS=warming up")
        time.sleep(0.5)
        notify("READY=1\\nSTATUS=serving 3 clients")
        interval = int(os.environ["WATCHDOG_USEC"]) / 2e6
        while True:
            time.sleep(interval)
            notify("WATCHDOG=1")
    """)
    spec = proc("svc", command, startsecs=0, health=HealthSpec(
        ready=ProbeSpec("notify"), health=ProbeSpec("notify", interval=1.0), health_retries=2))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until(lambda: vitals_of(r.sup.snapshot("svc", "svc")).ready, 10, "READY=1")
            vitals = r.sup.snapshot("svc", "svc").vitals
            assert vitals is not None and vitals.status == "serving 3 clients"
            pid = r.sup.snapshot("svc", "svc").pid
            # The watchdog pings keep it alive over several intervals.
            await until(lambda: vitals_of(r.sup.snapshot("svc", "svc")).last_answer == "WATCHDOG=1",
                        15, "a watchdog ping")
            started = time.monotonic()
            await until(lambda: time.monotonic() - started > 3.0, 10, "three intervals")
            snap = r.sup.snapshot("svc", "svc")
            assert snap.pid == pid and vitals_of(snap).health_restarts == 0

    run(main())


def test_a_server_that_hangs_is_restarted_after_the_threshold_and_counted(
    tmp_path: Path
) -> None:
    port = free_port()
    command = script(tmp_path, "hangs", f"""
        import http.server, time
        born = time.monotonic()
        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if time.monotonic() - born > 5:
                    time.sleep(3600)  # hung: accepts, never answers
                self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
            def log_message(self, *a): pass
        http.server.ThreadingHTTPServer.allow_reuse_address = True
        http.server.ThreadingHTTPServer(("127.0.0.1", {port}), H).serve_forever()
    """)
    url = f"http://127.0.0.1:{port}/healthz"
    spec = proc("web", command, startsecs=0, stopwaitsecs=2, health=HealthSpec(
        ready=ProbeSpec("http", url, "127.0.0.1", port, 0.2, 0.5),
        health=ProbeSpec("http", url, "127.0.0.1", port, 0.3, 0.3), health_retries=3))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until(lambda: vitals_of(r.sup.snapshot("web", "web")).ready, 10, "ready")
            first = r.sup.snapshot("web", "web").pid
            await until(lambda: vitals_of(r.sup.snapshot("web", "web")).health_restarts == 1,
                        20, "a health restart")
            await until_state(r.sup, "web", "web", ProcessState.RUNNING)
            snap = r.sup.snapshot("web", "web")
            assert snap.pid != first
            assert vitals_of(snap).restarts == 1
            assert "3 consecutive failed health checks" in vitals_of(snap).last_exit
            assert "timed out after 0.3s" in vitals_of(snap).last_exit
            assert "restarting web (unhealthy)" in r.log.text()

    run(main())


def test_never_ready_within_the_deadline_is_a_failed_start_then_fatal(
    tmp_path: Path
) -> None:
    port = free_port()
    spec = proc("never", script(tmp_path, "never", "import time; time.sleep(600)"),
                startsecs=0, startretries=1, health=HealthSpec(
                    ready=ProbeSpec("tcp", "", "127.0.0.1", port, 0.1, 0.2),
                    ready_deadline=0.5))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until_state(r.sup, "never", "never", ProcessState.FATAL, timeout=20)
            snap = r.sup.snapshot("never", "never")
            assert "not ready within 0.5s (ready_deadline)" in snap.spawnerr
            assert "connection refused" in snap.spawnerr
            assert snap.vitals is not None and vitals_of(snap).restarts == 1

    run(main())


def test_rlimits_are_set_before_the_program_runs(tmp_path: Path) -> None:
    spec = proc("lim", script(tmp_path, "lim", "import time; time.sleep(600)"), startsecs=0,
                resources=ResourceSpec(rlimits=(("NOFILE", 321, 654), ("CORE", 0, -1))))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until_state(r.sup, "lim", "lim", ProcessState.RUNNING)
            pid = r.sup.snapshot("lim", "lim").pid

            def limits() -> dict[str, list[str]]:
                rows = Path(f"/proc/{pid}/limits").read_text().splitlines()[1:]
                return {row[:26].strip(): row[26:].split() for row in rows}

            # The pid is the program itself (the shim exec'd it), not a wrapper.
            def exec_done() -> bool:
                argv = Path(f"/proc/{pid}/cmdline").read_text().split("\0")
                return len(argv) > 2 and "-I" not in argv and argv[-2].endswith("lim.py")

            await until(exec_done, 15, "the shim to exec the program")
            table = limits()
            assert table["Max open files"][:2] == ["321", "654"]
            assert table["Max core file size"][:2] == ["0", "unlimited"]

    run(main())


def test_a_program_past_its_memory_limit_is_restarted(tmp_path: Path) -> None:
    command = script(tmp_path, "hog", """
        import time
        time.sleep(0.5)
        hog = bytearray(120 * 1024 * 1024)
        for i in range(0, len(hog), 4096):
            hog[i] = 1
        time.sleep(600)
    """)
    spec = proc("hog", command, startsecs=0, stopwaitsecs=2,
                resources=ResourceSpec(memory_limit=60 * 1024 * 1024))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until(lambda: vitals_of(r.sup.snapshot("hog", "hog")).last_exit,
                        20, "a memory restart")
            snap = r.sup.snapshot("hog", "hog")
            assert vitals_of(snap).memory_restarts == 1
            assert "memory limit exceeded" in vitals_of(snap).last_exit
            assert "> memory_limit 60.0MB" in vitals_of(snap).last_exit
            assert "restarting hog (over its memory limit)" in r.log.text()

    run(main())


def test_a_dependency_gone_fatal_is_named_in_the_dependent_description(
    tmp_path: Path
) -> None:
    from minder.rpc.structs import describe

    broken = proc("db", "/bin/false", startsecs=1, startretries=0)
    web = proc("web", "/bin/sleep 600", startsecs=0, depends_on=("db",))

    async def main() -> None:
        async with Running(root_of(program(broken), program(web))) as r:
            await until_state(r.sup, "db", "db", ProcessState.FATAL)
            await until(lambda: "FATAL" in describe(r.sup.snapshot("web", "web")), 15)
            assert describe(r.sup.snapshot("web", "web")) == "Not started (dependency db is FATAL)"
            assert "web cannot start: dependency db is FATAL" in r.log.text()

    run(main())


def test_a_rolling_restart_stops_at_the_third_and_leaves_the_fourth_alone(
    tmp_path: Path,
) -> None:
    from dataclasses import replace

    from minder.model.events import RolloutProgress
    from minder.model.specs import GroupKind, GroupSpec

    first = free_port(4)  # four distinct ports: one member's probe never meets another
    ports = [first + i for i in range(4)]
    broken = tmp_path / "broken"
    broken.mkdir()
    # Opens its port unless a file named after it exists in ``broken``.
    command = script(tmp_path, "member", f"""
        import os, socket, sys, time
        name, port = sys.argv[1], int(sys.argv[2])
        if os.path.exists(os.path.join({str(broken)!r}, name)):
            time.sleep(600)
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        s.listen(8)
        while True:
            s.accept()[0].close()
    """)
    members = tuple(
        replace(proc(f"w{i}", f"{command} w{i} {ports[i]}", startsecs=0, stopwaitsecs=2,
                     startretries=0, health=HealthSpec(
                         ready=ProbeSpec("tcp", "", "127.0.0.1", ports[i], 0.1, 0.5),
                         ready_deadline=5.0)),
                program_name="w", process_num=i, numprocs=4)
        for i in range(4)
    )
    group = GroupSpec("w", GroupKind.PROGRAM, processes=members)

    async def main() -> None:
        async with Running(root_of(group)) as r:
            for i in range(4):
                await until(functools.partial(is_ready, r, "w", f"w{i}"), 10)
            pids = [r.sup.snapshot("w", f"w{i}").pid for i in range(4)]
            (broken / "w2").touch()
            steps = await r.sup.rolling_restart([("w", None)], batch=1)
            assert [(s.namespec, s.outcome) for s in steps] == [
                ("w:w0", "restarted"), ("w:w1", "restarted"), ("w:w2", "failed"),
                ("w:w3", "not reached")]
            assert "not ready within 5s" in steps[2].detail
            after = [r.sup.snapshot("w", f"w{i}").pid for i in range(4)]
            assert after[0] != pids[0] and after[1] != pids[1]
            assert after[3] == pids[3], "the fourth was touched"
            assert r.sup.snapshot("w", "w3").state is ProcessState.RUNNING
            phases = [(e.namespec, e.phase) for e in r.events if isinstance(e, RolloutProgress)]
            assert phases[:3] == [("w:w0", "stopping"), ("w:w0", "starting"), ("w:w0", "ready")]
            assert phases[-1] == ("", "aborted")
            # w1 was stopped only once w0 was ready again
            assert phases.index(("w:w1", "stopping")) > phases.index(("w:w0", "ready"))

    run(main())


def test_a_rolling_restart_in_batches_of_two(tmp_path: Path) -> None:
    from dataclasses import replace

    from minder.model.specs import GroupKind, GroupSpec

    members = tuple(
        replace(proc(f"s{i}", "/bin/sleep 600", startsecs=0), program_name="s", process_num=i)
        for i in range(4)
    )

    async def main() -> None:
        async with Running(root_of(GroupSpec("s", GroupKind.PROGRAM, processes=members))) as r:
            for i in range(4):
                await until_state(r.sup, "s", f"s{i}", ProcessState.RUNNING)
            steps = await r.sup.rolling_restart([("s", None)], batch=2)
            assert [s.outcome for s in steps] == ["restarted"] * 4
            assert all(vitals_of(r.sup.snapshot("s", f"s{i}")).restarts == 1 for i in range(4))

    run(main())


def test_start_all_starts_a_dependent_only_once_its_dependency_is_ready(tmp_path: Path) -> None:
    port = free_port()
    db = proc("db", late_server(tmp_path, port, 1.5), startsecs=0, autostart=False,
              health=HealthSpec(ready=ProbeSpec("tcp", "", "127.0.0.1", port, 0.1, 0.5)))
    stamp = tmp_path / "web-started"
    web = proc("web", script(tmp_path, "web2", f"""
        import time
        open({str(stamp)!r}, "w").write(repr(time.time()))
        time.sleep(600)
    """), startsecs=0, autostart=False, depends_on=("db",))
    broken = proc("broken", "/bin/false", startsecs=1, startretries=0, autostart=False)
    child = proc("child", "/bin/sleep 600", startsecs=0, autostart=False,
                 depends_on=("broken",))

    async def main() -> None:
        root = root_of(program(db), program(web), program(broken), program(child))
        async with Running(root) as r:
            outcomes = await r.sup.start_processes(None, True)
            faults = {(o.name, o.fault.code if o.fault else None) for o in outcomes}
            assert ("db", None) in faults and ("web", None) in faults
            assert {o.name for o in outcomes} == {"db", "web", "broken", "child"}
            bad = {o.name: o.fault for o in outcomes if o.fault is not None}
            assert set(bad) == {"broken", "child"}
            assert "dependency broken failed" in str(bad["child"])
            opened = float((tmp_path / f"opened{port}").read_text())
            await until(lambda: stamp.exists() and stamp.read_text(), 10, "web to write")
            assert float(stamp.read_text()) >= opened, "web started before db was ready"
            assert r.sup.snapshot("child", "child").state is ProcessState.STOPPED

    run(main())


def test_a_silent_watchdog_restarts_the_program_after_health_retries(tmp_path: Path) -> None:
    command = script(tmp_path, "mute", """
        import os, socket, time
        s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        s.sendto(b"READY=1", os.environ["NOTIFY_SOCKET"])
        for _ in range(3):  # a few pings, then it hangs without a word
            time.sleep(0.1)
            s.sendto(b"WATCHDOG=1", os.environ["NOTIFY_SOCKET"])
        time.sleep(600)
    """)
    spec = proc("mute", command, startsecs=0, stopwaitsecs=2, health=HealthSpec(
        ready=ProbeSpec("notify"), health=ProbeSpec("notify", interval=0.3), health_retries=2))

    async def main() -> None:
        async with Running(root_of(program(spec))) as r:
            await until(lambda: vitals_of(r.sup.snapshot("mute", "mute")).health_restarts >= 1,
                        15, "a watchdog restart")
            await until(lambda: vitals_of(r.sup.snapshot("mute", "mute")).last_exit, 10)
            snap = r.sup.snapshot("mute", "mute")
            assert "no WATCHDOG=1 for 0.3s" in vitals_of(snap).last_exit
            assert "2 consecutive failed health checks" in vitals_of(snap).last_exit

    run(main())
