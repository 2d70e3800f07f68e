"""Helpers for engine integration tests: real loop, real children, no leftovers."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from minder.engine.supervisor import Supervisor
from minder.model.events import DomainEvent
from minder.model.specs import GroupKind, GroupSpec, LogSpec, ProcessSpec, RootSpec
from minder.protocol.states import ProcessState
from tests.support.daemons import descendants, wait_for

T = TypeVar("T")
PY = sys.executable
SLEEP = f"{PY} -c 'import time; time.sleep(300)'"  # a child that runs until stopped
# a script() body that ignores SIGTERM, says "ready", and runs until SIGKILLed
IGNORES_SIGTERM = """
    import signal, time
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("ready", flush=True)
    time.sleep(300)
"""


class RecordingLog:
    """A stand-in main log that keeps its lines (the daemon uses MainLog)."""

    def __init__(self) -> None:
        self.lines: list[tuple[str, str]] = []

    def _add(self, level: str, msg: str) -> None:
        self.lines.append((level, msg))

    def critical(self, msg: str) -> None:
        self._add("critical", msg)

    def error(self, msg: str) -> None:
        self._add("error", msg)

    def warn(self, msg: str) -> None:
        self._add("warn", msg)

    def info(self, msg: str) -> None:
        self._add("info", msg)

    def debug(self, msg: str) -> None:
        self._add("debug", msg)

    def trace(self, msg: str) -> None:
        self._add("trace", msg)

    def blather(self, msg: str) -> None:
        self._add("blather", msg)

    def text(self) -> str:
        return "\n".join(f"{lvl} {msg}" for lvl, msg in self.lines)


def script(tmp: Path, name: str, body: str) -> str:
    """Write a Python snippet and return the command that runs it."""
    path = tmp / f"{name}.py"
    path.write_text(textwrap.dedent(body))
    return f"{PY} {path}"


def proc(name: str, command: str, tmp: Path | None = None, **kw: Any) -> ProcessSpec:
    """A ProcessSpec with explicit log files under ``tmp`` (or none)."""
    if tmp is not None:
        kw.setdefault("stdout", LogSpec(path=str(tmp / f"{name}.out"), auto=False))
        kw.setdefault("stderr", LogSpec(path=str(tmp / f"{name}.err"), auto=False))
    else:
        kw.setdefault("stdout", LogSpec(path=None, auto=False))
        kw.setdefault("stderr", LogSpec(path=None, auto=False))
    return ProcessSpec(name=name, program_name=name, command=command, **kw)


def program(spec: ProcessSpec, priority: int = 999) -> GroupSpec:
    return GroupSpec(spec.name, GroupKind.PROGRAM, priority=priority, processes=(spec,))


def root_of(*groups: GroupSpec, tmp: Path | None = None, **daemon: Any) -> RootSpec:
    from minder.model.specs import DaemonSpec

    if tmp is not None:
        daemon.setdefault("childlogdir", str(tmp))
    return RootSpec(config_file="test.conf", daemon=DaemonSpec(**daemon), groups=groups)


def run(coro: Awaitable[T]) -> T:
    async def main() -> T:
        return await coro

    return asyncio.run(main())


async def until(
    predicate: Callable[[], T], timeout: float = 15.0, what: str = "", interval: float = 0.02
) -> T:
    """Poll ``predicate`` on the loop until truthy, or fail after ``timeout``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        await asyncio.sleep(interval)


async def until_state(
    sup: Supervisor, group: str, name: str, *states: ProcessState, timeout: float = 15.0
) -> None:
    await until(
        lambda: sup.snapshot(group, name).state in states,
        timeout,
        f"{group}:{name} to reach {[s.name for s in states]}",
    )


class Running:
    """An engine started on ``root``; always stopped (and checked) at exit."""

    def __init__(self, root: RootSpec, **kw: Any) -> None:
        self.log = RecordingLog()
        self.sup = Supervisor(root, log=self.log, **kw)
        self.events: list[DomainEvent] = []

    async def __aenter__(self) -> Running:
        self.sup.bus.add_listener(self.events.append)
        await self.sup.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.sup.request_shutdown():
            pass
        await asyncio.wait_for(self.sup.wait_finished(), 30)
        await self.sup.close()


@pytest.fixture
def no_leftovers() -> Iterator[None]:
    """Fail the test if it leaves a child (or zombie) of this process behind."""
    before = set(descendants(os.getpid()))
    yield
    me = os.getpid()

    def clean() -> bool:
        return not (set(descendants(me)) - before)

    try:
        wait_for(clean, timeout=10, what="children of the test to be gone")
    except AssertionError:
        left = sorted(set(descendants(me)) - before)
        for pid in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, 9)
        raise AssertionError(f"test left children behind: {left}") from None
    # No zombie children of ours either.
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        assert not (fields[0] == "Z" and int(fields[1]) == me), f"zombie child {entry} left"


def run_scenario(source: str, timeout: float = 60) -> dict[str, Any]:
    """Run ``source`` in a fresh interpreter and return the JSON its last line prints.

    For scenarios that change the whole process (a subreaper, SIGCHLD
    dispositions), which must not touch the test runner itself.
    """
    result = subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, timeout=timeout
    )
    assert result.returncode == 0, result.stderr
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report
