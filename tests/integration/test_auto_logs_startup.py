"""AUTO child logs made at each first spawn at start-up: what a user sees does not change.

engine/logs/autonames.py says why the files are no longer all made before
the first spawn. These tests check what must hold anyway: after start every
AUTO log exists with supervisord's name and mode 0600 and holds its child's
output; a child never starts before its own files; and a name found taken
when its file is made (a leftover, a planted file) is never written to: the
process gets a fresh mkstemp file instead.
"""

from __future__ import annotations

import asyncio
import os
import re
import stat
from pathlib import Path

import pytest

from minder.engine.bus import EventBus
from minder.engine.clock import SystemClock
from minder.engine.defaults import default_sink_factory
from minder.engine.group import GroupRuntime
from minder.engine.logs.autonames import AutoLogMaker, auto_log_name
from minder.engine.process import EngineContext
from minder.engine.reaper import Reaper
from minder.model.specs import GroupKind, GroupSpec, LogSpec, ProcessSpec
from minder.protocol.states import ProcessState
from tests.integration.engine_helpers import (
    PY,
    RecordingLog,
    Running,
    program,
    root_of,
    run,
    until,
)

AUTO_NAME = re.compile(r"^(?P<proc>p\d+)-(?P<chan>stdout|stderr)---ident-[a-z0-9_]{8}\.log$")


def _auto(name: str, command: str) -> ProcessSpec:
    return ProcessSpec(
        name=name, program_name=name, command=command,
        stdout=LogSpec(auto=True), stderr=LogSpec(auto=True), startsecs=0,
    )


def test_every_auto_log_exists_at_start_and_gets_its_childs_output(
    tmp_path: Path, no_leftovers: None
) -> None:
    # Each child checks that its own two log files exist when it starts.
    check = (
        "import os, sys, time; "
        "names = [n for n in os.listdir(sys.argv[1]) if n.startswith(sys.argv[2] + '-')]; "
        "print('mine', sorted(n.split('-')[1] for n in names), flush=True); "
        "print('err', file=sys.stderr, flush=True); time.sleep(300)"
    )
    groups = [
        program(_auto(f"p{i}", f"{PY} -c \"{check}\" {tmp_path} p{i}")) for i in range(20)
    ]
    root = root_of(*groups, tmp=tmp_path, identifier="ident")

    async def main() -> None:
        async with Running(root) as r:
            names = sorted(os.listdir(tmp_path))
            assert len(names) == 40
            for name in names:
                assert AUTO_NAME.match(name), name
                info = os.stat(tmp_path / name)
                assert stat.S_ISREG(info.st_mode) and stat.S_IMODE(info.st_mode) == 0o600
            for i in range(20):
                snap = r.sup.snapshot(f"p{i}", f"p{i}")
                assert os.path.dirname(snap.stdout_logfile) == str(tmp_path)
                assert os.path.basename(snap.stdout_logfile).startswith(f"p{i}-stdout---ident-")
                assert os.path.basename(snap.stderr_logfile).startswith(f"p{i}-stderr---ident-")
            await until(
                lambda: all(
                    Path(r.sup.snapshot(f"p{i}", f"p{i}").stdout_logfile).read_bytes()
                    == b"mine ['stderr', 'stdout']\n"
                    and Path(r.sup.snapshot(f"p{i}", f"p{i}").stderr_logfile).read_bytes()
                    == b"err\n"
                    for i in range(20)
                ),
                what="every child's output in its own AUTO logs",
            )
            assert all(
                r.sup.snapshot(f"p{i}", f"p{i}").state is ProcessState.RUNNING for i in range(20)
            )

    run(main())


def test_a_name_taken_before_the_thread_creates_it_is_reported(tmp_path: Path) -> None:
    maker = AutoLogMaker()
    first = maker.reserve(str(tmp_path), "p1", "stdout", "ident")
    second = maker.reserve(str(tmp_path), "p1", "stderr", "ident")
    assert not os.path.exists(first) and not os.path.exists(second)
    Path(second).write_bytes(b"somebody else's\n")
    assert maker.settle(first) is None
    assert isinstance(maker.settle(second), FileExistsError)
    maker.finish()
    assert Path(second).read_bytes() == b"somebody else's\n"
    assert stat.S_IMODE(os.stat(first).st_mode) == 0o600


def test_a_missing_childlogdir_fails_like_mkstemp(tmp_path: Path) -> None:
    maker = AutoLogMaker()
    path = maker.reserve(str(tmp_path / "gone"), "p1", "stdout", "ident")
    assert isinstance(maker.settle(path), FileNotFoundError)
    maker.finish()


def test_auto_log_names_have_mkstemps_form(tmp_path: Path) -> None:
    names = {auto_log_name(str(tmp_path), "p1", "stdout", "ident") for _ in range(200)}
    assert len(names) == 200
    for path in names:
        assert os.path.isabs(path) and AUTO_NAME.match(os.path.basename(path))
        assert not os.path.exists(path)


def test_a_taken_name_is_replaced_before_the_process_spawns(tmp_path: Path) -> None:
    spec = _auto("p1", "/bin/true")
    group_spec = GroupSpec("p1", GroupKind.PROGRAM, priority=1, processes=(spec,))
    log = RecordingLog()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        ctx = EngineContext(
            loop=loop, clock=SystemClock(), reaper=reaper, bus=EventBus(),
            log=lambda level, msg: None, may_restart=lambda: True,
            base_env={}, daemon_env=(), server_url=None,
        )
        maker = AutoLogMaker()
        group = GroupRuntime(
            group_spec, ctx, sink_factory=default_sink_factory(log),
            childlogdir=str(tmp_path), identifier="ident", strip_ansi=False,
            auto_logs=maker,
        )
        planted = group.log_paths["p1"].stderr
        assert planted is not None
        Path(planted).write_bytes(b"planted\n")
        stdout_path = group.log_paths["p1"].stdout
        group.settle_logs("p1")
        group.settle_all_logs()
        fresh = group.log_paths["p1"].stderr
        assert fresh is not None and fresh != planted
        assert AUTO_NAME.match(os.path.basename(fresh))
        assert stat.S_IMODE(os.stat(fresh).st_mode) == 0o600
        assert group.log_paths["p1"].stdout == stdout_path
        runner = group.processes["p1"]
        assert runner.stderr is not None and runner.stderr.sink is not None
        runner.stderr.sink.write(b"to the fresh file\n")
        assert Path(fresh).read_bytes() == b"to the fresh file\n"
        assert Path(planted).read_bytes() == b"planted\n"
        group.close()
        reaper.close()

    run(main())


@pytest.mark.parametrize("count", [1, 3])
def test_groups_added_later_get_their_files_at_once(tmp_path: Path, count: int) -> None:
    """No thread outside start-up: a group created at run time has its files on return."""
    log = RecordingLog()

    async def main() -> None:
        loop = asyncio.get_running_loop()
        reaper = Reaper(loop)
        ctx = EngineContext(
            loop=loop, clock=SystemClock(), reaper=reaper, bus=EventBus(),
            log=lambda level, msg: None, may_restart=lambda: True,
            base_env={}, daemon_env=(), server_url=None,
        )
        specs = tuple(_auto(f"p{i}", "/bin/true") for i in range(count))
        group = GroupRuntime(
            GroupSpec("g", GroupKind.PROGRAM, priority=1, processes=specs), ctx,
            sink_factory=default_sink_factory(log), childlogdir=str(tmp_path),
            identifier="ident", strip_ansi=False,
        )
        for i in range(count):
            paths = group.log_paths[f"p{i}"]
            assert paths.stdout is not None and os.path.isfile(paths.stdout)
            assert paths.stderr is not None and os.path.isfile(paths.stderr)
        group.close()
        reaper.close()

    run(main())
