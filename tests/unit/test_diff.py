"""model/diff: supervisord's group-level change detection (reference §3.7)."""

from __future__ import annotations

from dataclasses import replace

from minder.model.diff import changed_processes, diff
from minder.model.specs import (
    DaemonSpec,
    GroupKind,
    GroupSpec,
    ProcessSpec,
    Provenance,
    RootSpec,
)


def group(name: str, *procs: ProcessSpec, priority: int = 999) -> GroupSpec:
    return GroupSpec(name, GroupKind.PROGRAM, priority, procs)


def proc(name: str, command: str = "/bin/true", **kw: object) -> ProcessSpec:
    return ProcessSpec(name=name, program_name=name, command=command, **kw)  # type: ignore[arg-type]


def root(*groups: GroupSpec, env: tuple[tuple[str, str], ...] = ()) -> RootSpec:
    return RootSpec("/x.conf", daemon=DaemonSpec(environment=env), groups=groups)


def test_added_changed_removed_are_sorted_group_names() -> None:
    old = root(group("b", proc("b")), group("a", proc("a")), group("gone", proc("gone")))
    new = root(group("a", proc("a", "/bin/false")), group("b", proc("b")),
               group("z", proc("z")), group("new", proc("new")))
    assert diff(old, new) == (["new", "z"], ["a"], ["gone"])


def test_identical_configs_have_no_changes() -> None:
    tree = root(group("a", proc("a")))
    assert diff(tree, tree) == ([], [], [])


def test_provenance_is_not_a_change() -> None:
    old = root(group("a", proc("a", source=Provenance("x.conf", 1))))
    new = root(group("a", proc("a", source=Provenance("y.conf", 40))))
    assert diff(old, new) == ([], [], [])


def test_group_priority_is_a_change() -> None:
    old = root(group("a", proc("a")))
    new = root(group("a", proc("a"), priority=5))
    assert diff(old, new) == ([], ["a"], [])


def test_daemon_environment_change_changes_every_group() -> None:
    old = root(group("a", proc("a")), group("b", proc("b")))
    new = root(group("a", proc("a")), group("b", proc("b")), env=(("K", "v"),))
    assert diff(old, new) == ([], ["a", "b"], [])


def test_changed_processes_names_only_the_differing_ones() -> None:
    a0, a1, a2 = proc("w_0"), proc("w_1"), proc("w_2")
    old = group("w", a0, a1, a2)
    new = group("w", a0, replace(a1, startsecs=5), proc("w_3"))
    assert changed_processes(old, new) == {"w_1", "w_2", "w_3"}
    assert changed_processes(old, old) == set()
