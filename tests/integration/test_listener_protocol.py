"""A real listener process under the real engine (in-process Supervisor).

The listener is a small Python script that speaks the protocol on raw
bytes (so ``len`` must count bytes for it to stay in sync) and records
every envelope it receives, byte for byte, in a directory.
"""

from __future__ import annotations

import asyncio
import os
import sys
import textwrap
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

import pytest

from minder.engine.supervisor import Supervisor
from minder.model.specs import (
    AutoRestart,
    DaemonSpec,
    GroupKind,
    GroupSpec,
    ListenerPoolSpec,
    LogSpec,
    ProcessSpec,
    RootSpec,
)
from minder.protocol.states import ListenerState, ProcessState
from tests.support.daemons import descendants

T = TypeVar("T")

LISTENER = r'''
import os, sys, time
out_dir, mode = sys.argv[1], sys.argv[2]
marker = os.path.join(out_dir, "launched-once")
first_launch = not os.path.exists(marker)
open(marker, "a").close()
stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
if mode == "junk" or (mode == "junk-once" and first_launch):
    stdout.write(b"this is not the protocol\n"); stdout.flush()
    time.sleep(3600)
if mode == "pcomm":
    sys.stderr.write("<!--XSUPERVISOR:BEGIN-->hi from a listener<!--XSUPERVISOR:END-->\n")
    sys.stderr.flush()
seen = set()
n = 0
while True:
    stdout.write(b"READY\n"); stdout.flush()
    if mode == "hang":
        time.sleep(3600)
    line = stdin.readline()
    if not line:
        sys.exit(0)
    headers = dict(t.split(b":", 1) for t in line.split())
    payload = stdin.read(int(headers[b"len"]))
    n += 1
    path = os.path.join(out_dir, "%d-%04d.bin" % (os.getpid(), n))
    with open(path + ".tmp", "wb") as f:
        f.write(line + payload)
    os.rename(path + ".tmp", path)  # readers never see a half-written file
    serial = headers[b"serial"]
    if mode == "die-once" and first_launch:
        os._exit(3)
    if mode == "reject-once" and serial not in seen:
        seen.add(serial)
        stdout.write(b"RESULT 4\nFAIL"); stdout.flush()
        continue
    stdout.write(b"RESULT 2\nOK"); stdout.flush()
'''


@dataclass
class ListLog:
    """The engine's main log, kept in memory."""

    lines: list[tuple[str, str]] = field(default_factory=list)

    def _add(self, level: str, msg: str) -> None:
        self.lines.append((level, msg))

    def critical(self, msg: str) -> None:
        self._add("CRIT", msg)

    def error(self, msg: str) -> None:
        self._add("ERRO", msg)

    def warn(self, msg: str) -> None:
        self._add("WARN", msg)

    def info(self, msg: str) -> None:
        self._add("INFO", msg)

    def debug(self, msg: str) -> None:
        self._add("DEBG", msg)

    def trace(self, msg: str) -> None:
        self._add("TRAC", msg)

    def blather(self, msg: str) -> None:
        self._add("BLAT", msg)

    def has(self, level: str, text: str) -> bool:
        return any(lv == level and text in m for lv, m in self.lines)


def program(name: str, command: str, **kw: object) -> GroupSpec:
    spec = ProcessSpec(name=name, program_name=name, command=command, startsecs=0, **kw)  # type: ignore[arg-type]
    return GroupSpec(name, GroupKind.PROGRAM, processes=(spec,))


def listener_pool(
    tmp: Path, mode: str, events: tuple[str, ...], *, name: str = "listener",
    buffer_size: int = 10, **kw: object,
) -> GroupSpec:
    script = tmp / "listener.py"
    script.write_text(LISTENER)
    out = tmp / name
    out.mkdir(exist_ok=True)
    spec = ProcessSpec(
        name=name, program_name=name, command=f"{sys.executable} {script} {out} {mode}",
        priority=-1, startsecs=0, autorestart=AutoRestart.ALWAYS,
        stdout=LogSpec(auto=False, path=str(tmp / f"{name}.out")), **kw,  # type: ignore[arg-type]
    )
    return GroupSpec(name, GroupKind.EVENTLISTENER, priority=-1, processes=(spec,),
                     listener=ListenerPoolSpec(events, buffer_size=buffer_size))


def received(tmp: Path, name: str = "listener") -> list[bytes]:
    files = sorted((tmp / name).glob("*.bin"), key=lambda p: p.stat().st_mtime_ns)
    return [p.read_bytes() for p in files]


async def until(predicate: Callable[[], T], timeout: float = 15.0, what: str = "") -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(0.02)


def run_engine(
    tmp: Path, groups: list[GroupSpec], scenario: Callable[[Supervisor, ListLog], Awaitable[None]]
) -> ListLog:
    """Start a Supervisor on ``groups``, run ``scenario``, shut down, check no child is left."""
    log = ListLog()
    root = RootSpec(
        config_file=str(tmp / "supervisord.conf"),
        daemon=DaemonSpec(childlogdir=str(tmp), identifier="testsuper", loglevel="debug"),
        groups=tuple(sorted(groups, key=lambda g: (g.priority, g.name))),
    )

    async def main() -> None:
        sup = Supervisor(root, log=log)
        await sup.start()
        try:
            await scenario(sup, log)
        finally:
            sup.request_shutdown()
            await asyncio.wait_for(sup.wait_finished(), 60)
            await sup.close()

    asyncio.run(main())
    assert descendants(os.getpid()) == [], "a child outlived the engine"
    return log


def state(sup: Supervisor, group: str, name: str | None = None) -> ProcessState:
    return sup.snapshot(group, name or group).state


@pytest.fixture
def tmp(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path


# --- tests ---------------------------------------------------------------------


def test_listener_receives_exact_envelopes_with_byte_lengths(tmp: Path) -> None:
    groups = [
        listener_pool(tmp, "ok", ("PROCESS_STATE_RUNNING", "REMOTE_COMMUNICATION")),
        program("app", "sleep 600"),
    ]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: len(received(tmp)) >= 2, what="two RUNNING events")
        sup.send_remote_comm_event("greeting", "héllo wörld ✓\n")
        sup.send_remote_comm_event("plain", "after")
        await until(lambda: len(received(tmp)) >= 4, what="remote events")
        pools = sup.event_listeners.router.pools  # type: ignore[union-attr]
        await until(lambda: pools["listener"].listener_state("listener") == ListenerState.READY)
        got = received(tmp)
        app_pid = sup.snapshot("app", "app").pid
        listener_pid = sup.snapshot("listener", "listener").pid
        assert got[0] == (
            b"ver:3.0 server:testsuper serial:0 pool:listener poolserial:0 "
            b"eventname:PROCESS_STATE_RUNNING len:%d\n" % len(
                b"processname:listener groupname:listener from_state:STARTING pid:%d"
                % listener_pid
            )
            + b"processname:listener groupname:listener from_state:STARTING pid:%d"
            % listener_pid
        )
        body = b"processname:app groupname:app from_state:STARTING pid:%d" % app_pid
        assert got[1] == (
            b"ver:3.0 server:testsuper serial:1 pool:listener poolserial:1 "
            b"eventname:PROCESS_STATE_RUNNING len:%d\n" % len(body) + body
        )
        remote = "type:greeting\nhéllo wörld ✓\n".encode()
        assert got[2] == (
            b"ver:3.0 server:testsuper serial:2 pool:listener poolserial:2 "
            b"eventname:REMOTE_COMMUNICATION len:%d\n" % len(remote) + remote
        )
        assert got[3].endswith(b"len:%d\ntype:plain\nafter" % len(b"type:plain\nafter"))
        assert log.has("DEBG", "listener: event was processed")
        # the listener's stdout is still its log
        assert (tmp / "listener.out").read_bytes().startswith(b"READY\nRESULT 2\nOKREADY\n")

    run_engine(tmp, groups, scenario)


def test_rejected_event_is_rebuffered_and_delivered_again(tmp: Path) -> None:
    groups = [listener_pool(tmp, "reject-once", ("REMOTE_COMMUNICATION",))]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: state(sup, "listener") == ProcessState.RUNNING)
        sup.send_remote_comm_event("a", "1")
        sup.send_remote_comm_event("b", "2")
        await until(lambda: len(received(tmp)) >= 4, what="each event twice")
        serials = [g.split(b" ")[2] for g in received(tmp)]
        assert serials == [b"serial:0", b"serial:0", b"serial:1", b"serial:1"]
        assert log.has("WARN", "listener: event was rejected")

    run_engine(tmp, groups, scenario)


def test_death_while_busy_rebuffers_for_the_next_spawn(tmp: Path) -> None:
    groups = [listener_pool(tmp, "die-once", ("REMOTE_COMMUNICATION",))]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: state(sup, "listener") == ProcessState.RUNNING)
        first_pid = sup.snapshot("listener", "listener").pid
        sup.send_remote_comm_event("t", "x")
        await until(lambda: len(received(tmp)) >= 2, what="redelivery after death")
        files = sorted((tmp / "listener").glob("*.bin"), key=lambda p: p.stat().st_mtime_ns)
        pids = [int(p.name.split("-")[0]) for p in files]
        assert pids[0] == first_pid and pids[1] != first_pid
        assert received(tmp)[0] == received(tmp)[1]

    run_engine(tmp, groups, scenario)


def test_protocol_violation_is_logged_and_the_listener_restarted(tmp: Path) -> None:
    groups = [listener_pool(tmp, "junk-once", ("REMOTE_COMMUNICATION",))]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: log.has("WARN", "has entered the UNKNOWN state"))
        sup.send_remote_comm_event("t", "after restart")
        await until(lambda: len(received(tmp)) >= 1, what="delivery after the restart")
        assert received(tmp)[0].endswith(b"type:t\nafter restart")
        assert log.has("WARN", "restarting listener: it violated the eventlistener protocol")

    run_engine(tmp, groups, scenario)


def test_capture_mode_and_log_events(tmp: Path) -> None:
    script = tmp / "talker.py"
    script.write_text(textwrap.dedent(r'''
        import sys
        sys.stdout.write("before <!--XSUPERVISOR:BEGIN-->captured msg")
        sys.stdout.write("<!--XSUPERVISOR:END--> after\n")
        sys.stdout.write("héllo\n")
        sys.stdout.flush()
        sys.stderr.write("to stderr\n")
        sys.stderr.flush()
    '''))
    talker = ProcessSpec(
        name="talker", program_name="talker", command=f"{sys.executable} {script}",
        startsecs=0, autorestart=AutoRestart.NEVER,
        stdout=LogSpec(auto=False, path=str(tmp / "talker.out"), capture_maxbytes=1024),
        stderr=LogSpec(auto=False, path=str(tmp / "talker.err"), events_enabled=True),
    )
    groups = [
        listener_pool(tmp, "ok", ("PROCESS_COMMUNICATION", "PROCESS_LOG")),
        GroupSpec("talker", GroupKind.PROGRAM, processes=(talker,)),
    ]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: state(sup, "talker") == ProcessState.EXITED)
        await until(lambda: len(received(tmp)) >= 2, what="capture and log events")
        got = sorted(received(tmp), key=lambda b: b"PROCESS_LOG" in b)
        comm, logged = got
        assert b"eventname:PROCESS_COMMUNICATION_STDOUT len:" in comm
        head, body = comm.split(b"\n", 1)
        assert body.startswith(b"processname:talker groupname:talker pid:")
        assert body.endswith(b"\ncaptured msg") and int(head.rsplit(b":", 1)[1]) == len(body)
        assert logged.split(b"\n", 1)[1].endswith(b"channel:stderr\nto stderr\n")
        await until(lambda: (tmp / "talker.out").read_bytes() == "before  after\nhéllo\n".encode(),
                    what="the whole stdout, short tail included, in the log")

    run_engine(tmp, groups, scenario)


def test_a_listener_that_always_breaks_the_protocol_is_restarted_ever_more_slowly(
    tmp: Path,
) -> None:
    groups = [listener_pool(tmp, "junk", ("REMOTE_COMMUNICATION",))]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: log.has("WARN", "restarting listener in 2 seconds"), timeout=30)
        spawns = [m for _, m in log.lines if m.startswith("spawned: 'listener'")]
        assert len(spawns) == 3
        assert log.has("WARN", "restarting listener in 1 seconds")

    run_engine(tmp, groups, scenario)


def test_listeners_stop_last_and_hear_the_supervisor_stopping(tmp: Path) -> None:
    # app ignores SIGTERM: the listener has a whole stopwaitsecs to hear STOPPING
    ready = tmp / "app-ignores-sigterm"
    stubborn = f"{sys.executable} -c \"import signal, time; " \
        f"signal.signal(signal.SIGTERM, signal.SIG_IGN); open('{ready}', 'w'); time.sleep(600)\""
    groups = [
        listener_pool(tmp, "ok", ("SUPERVISOR_STATE_CHANGE",)),
        program("app", stubborn, stopwaitsecs=1),
    ]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        await until(lambda: received(tmp), what="SUPERVISOR_STATE_CHANGE_RUNNING")
        await until(ready.exists, what="app to ignore SIGTERM")

    run_engine(tmp, groups, scenario)
    names = [e.split(b"eventname:", 1)[1].split(b" ", 1)[0] for e in received(tmp)]
    assert names[:2] == [b"SUPERVISOR_STATE_CHANGE_RUNNING", b"SUPERVISOR_STATE_CHANGE_STOPPING"]


def test_a_listener_stderr_can_use_capture_mode(tmp: Path) -> None:
    groups = [
        listener_pool(
            tmp, "pcomm", ("PROCESS_COMMUNICATION",),
            stderr=LogSpec(auto=False, path=str(tmp / "listener.err"), capture_maxbytes=100),
        )
    ]

    async def scenario(sup: Supervisor, log: ListLog) -> None:
        got = await until(lambda: received(tmp), what="the listener's own message")
        pid = sup.snapshot("listener", "listener").pid
        body = b"processname:listener groupname:listener pid:%d\nhi from a listener" % pid
        assert got[0] == (
            b"ver:3.0 server:testsuper serial:0 pool:listener poolserial:0 "
            b"eventname:PROCESS_COMMUNICATION_STDERR len:%d\n" % len(body) + body
        )
        await until(lambda: (tmp / "listener.err").read_bytes() == b"\n")

    run_engine(tmp, groups, scenario)
