"""AUTO child logs at start-up, as supervisord makes them: all before the first child.

After start every AUTO log exists with supervisord's name and mode 0600 and
holds its child's output, and a child finds its own files when it starts.
(Making each process's files just before its own spawn was tried for an
earlier first child: on this machine's ext4 the same 1,000 creations cost
about twice the CPU interleaved with forks as in one burst, so the 500th
child started later; docs/performance.md has the figures.)
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
