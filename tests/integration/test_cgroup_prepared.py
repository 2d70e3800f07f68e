"""Start-up's cgroup subtree made before its groups, the burst's leaves made aside.

engine/containment.py's ``cgroups_prepared`` makes the subtree and hands the
burst's leaves to a ``mkdir`` helper (engine/leafmaker.py) while start-up
makes its groups; ``choose`` then proves the backend. Real cgroup v2, real
helper processes: the leaves are there, a failed start-up or a failed
probe leaves no subtree and no helper behind.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from minder.config import load
from minder.engine import cgroups
from minder.engine.cgroups import CgroupContainment
from minder.engine.containment import cgroups_prepared, choose
from minder.model.specs import RootSpec
from tests.support.cgroups import cgroup_root
from tests.support.reaping import all_reaped

pytestmark = pytest.mark.skipif(
    cgroup_root() is None, reason="no writable cgroup v2 here (needs root)"
)

CONFIG = """
[supervisord]
logfile = {tmp}/main.log
pidfile = {tmp}/d.pid

[program:web]
command = /bin/sleep 60
numprocs = 2
process_name = web_%(process_num)d

[program:lazy]
command = /bin/sleep 60
autostart = false

[program:daemonizer]
command = /bin/sleep 60
killdescendants = false
"""


def _root(tmp_path: Path) -> RootSpec:
    conf = tmp_path / "minder.conf"
    conf.write_text(CONFIG.format(tmp=tmp_path))
    return load(str(conf), environ={}, cwd=str(tmp_path)).root


def _backend(prepared: object) -> CgroupContainment:
    made = getattr(prepared, "_made", None)
    assert isinstance(made, CgroupContainment), made
    return made


def _helpers(prepared: object) -> list[int]:
    made = getattr(prepared, "_made", None)
    maker = getattr(made, "_leaf_maker", None)
    return maker.pids() if maker is not None else []


def test_the_burst_leaves_are_made_aside_and_the_backend_proved(tmp_path: Path) -> None:
    said: list[str] = []
    with cgroups_prepared("auto", _root(tmp_path)) as prepared:
        helpers = _helpers(prepared)
        assert helpers, "no mkdir helper was started"
        chosen = choose("auto", lambda _pid: False, said.append, said.append, prepared)
    assert isinstance(chosen, CgroupContainment)
    try:
        chosen._leaf("web:web_0")  # the first spawn's leaf: the helper is collected
        assert all_reaped(helpers)
        leaves = sorted(name for name in os.listdir(chosen.subtree) if name.startswith("p:"))
        # autostart and killdescendants only: not lazy, not daemonizer
        assert leaves == ["p:web:web_0", "p:web:web_1"]
        assert said == [f"containment: cgroup: {chosen.subtree}"]
    finally:
        chosen.close()
    assert not os.path.exists(chosen.subtree)


def test_a_start_up_failing_before_choose_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError), cgroups_prepared("auto", _root(tmp_path)) as prepared:
        subtree = _backend(prepared).subtree
        helpers = _helpers(prepared)
        raise RuntimeError("an fcgi socket could not be bound")
    assert not os.path.exists(subtree)
    assert all_reaped(helpers)


def test_a_failed_probe_falls_back_and_removes_the_subtree(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refused(self: CgroupContainment) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cgroups.CgroupContainment, "_probe", refused)
    said: list[str] = []
    with cgroups_prepared("cgroup", _root(tmp_path)) as prepared:
        subtree = _backend(prepared).subtree
        helpers = _helpers(prepared)
        chosen = choose("cgroup", lambda _pid: False, said.append, said.append, prepared)
    assert chosen.mode == "subreaper"
    assert "containment=cgroup asked for, but cannot move processes into" in said[0]
    assert not os.path.exists(subtree)
    assert all_reaped(helpers)


def test_no_preparation_where_cgroups_are_not_wanted(tmp_path: Path) -> None:
    for mode in ("off", "subreaper"):
        with cgroups_prepared(mode, _root(tmp_path)) as prepared:
            assert prepared is None
