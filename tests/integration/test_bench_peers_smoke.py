"""Keep the peers bench from rotting: N=5 against every peer that is installed.

The test never installs a peer (bench/peers/install.py is told not to): a
tool that is not on this machine is skipped with the reason. No timing is
asserted; we check that each scenario yields every figure, that the log
capture lost nothing, and that nothing the tool started is left behind
(its daemon may detach, as PM2's does, so we look for any process whose
command line or working directory is in the run's directory, not only for
our descendants).
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from bench import procfs
from bench.peers import install, plan
from bench.peers.registry import TOOLS

N = 5


@pytest.fixture(autouse=True)
def _no_installs() -> Iterator[None]:
    before = install.ALLOW_INSTALL
    install.ALLOW_INSTALL = False
    yield
    install.ALLOW_INSTALL = before


def _in_dir(pid: str, directory: str) -> bool:
    with contextlib.suppress(OSError):
        if os.readlink(f"/proc/{pid}/cwd").startswith(directory):
            return True
    with contextlib.suppress(OSError), open(f"/proc/{pid}/cmdline", "rb") as f:
        return directory.encode() in f.read()
    return False


def _leftovers(directory: Path) -> list[int]:
    deadline = time.monotonic() + 10
    while True:
        left = set(procfs.descendants(os.getpid()))
        left |= {
            int(pid) for pid in os.listdir("/proc")
            if pid.isdigit() and int(pid) != os.getpid() and _in_dir(pid, str(directory))
            and procfs.alive(int(pid))
        }
        if not left or time.monotonic() > deadline:
            return sorted(left)
        time.sleep(0.05)


def _tool_or_skip(kind: str) -> None:
    why = TOOLS[kind].problem()
    if why is not None:
        pytest.skip(f"{kind}: {why}")
    try:
        install.child()
    except install.Missing as exc:
        pytest.skip(f"the bench's C child cannot be built here: {exc}")


@pytest.mark.parametrize("kind", list(TOOLS))
@pytest.mark.parametrize("group", ["fleet", "logs"])
def test_peers_scenario_runs(kind: str, group: str, tmp_path: Path) -> None:
    _tool_or_skip(kind)
    chosen = [s for s in plan.plan(plan.tiny(N)) if s.group == group]
    for index, scenario in enumerate(chosen):
        workdir = tmp_path / f"{group}{index}"
        workdir.mkdir()
        values = scenario.run(kind, workdir)
        for fig in scenario.figures:
            if fig.key == "pss_ui_mib" and fig.key not in values:
                continue  # only tools with a web UI have this figure
            assert fig.key in values, f"{kind} has no {fig.key} in {scenario.name}"
        if "lost_bytes" in values:
            assert values["lost_bytes"] == 0, f"{kind} lost log bytes in {scenario.name}"
            assert values["mib_s"] > 0
        if "floor_before_mib_s" in values:  # the fast writer: the floor sampled on each side
            floor = (values["floor_before_mib_s"] + values["floor_after_mib_s"]) / 2
            assert floor > 0
            assert values["mib_s_vs_floor"] == pytest.approx(values["mib_s"] / floor)
        if "started_s" in values:
            assert values["started_s"] > 0 and values["pss_mib"] > 0
        assert not _leftovers(tmp_path), f"{kind} left processes behind"
