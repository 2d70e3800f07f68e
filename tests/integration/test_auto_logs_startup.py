"""AUTO child logs at start-up: named with the groups, made right after the burst of spawns.

Once start-up has returned (before any request can be answered) every AUTO
log exists with supervisord's name and mode 0600, each holds its child's
output including what the child wrote before its file existed, and nothing
was created at a name planted in between. The first AUTO log is made before
any spawn, so an unwritable childlogdir still stops the start
(docs/differences.md). (Making each process's files just before its own
spawn was tried earlier: on this machine's ext4 the same 1,000 creations cost
about twice the CPU interleaved with forks as in one burst;
docs/performance.md has the figures.)
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from minder.model.specs import LogSpec, ProcessSpec
from minder.protocol.states import ProcessState
from tests.integration.engine_helpers import (
    PY,
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
    # Each child writes at once: for most, before their files are made.
    check = (
        "import sys, time; "
        "print('mine', sys.argv[2], flush=True); "
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
                    == f"mine p{i}\n".encode()
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
