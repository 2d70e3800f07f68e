"""What changed between two loaded configs (``reread`` / ``update``).

supervisord compares whole groups by name (reference §3.7): a group is
"changed" when its name matches but its config differs, and any change to
``[supervisord] environment`` changes every group, because that environment
is merged into each child's. Provenance is excluded from spec equality, so
moving a section around a file is not a change.

``changed_processes`` narrows a changed group to the processes that differ,
and ``plan_group_update`` turns that into what minder's in-place update
does (engine/reload.py carries it out and reports it).
"""

from __future__ import annotations

from minder.model.specs import GroupSpec, RootSpec
from minder.records import record


def diff(old: RootSpec, new: RootSpec) -> tuple[list[str], list[str], list[str]]:
    """``(added, changed, removed)`` group names, each sorted."""
    old_groups = {g.name: g for g in old.groups}
    new_groups = {g.name: g for g in new.groups}
    env_changed = old.daemon.environment != new.daemon.environment
    added = sorted(name for name in new_groups if name not in old_groups)
    removed = sorted(name for name in old_groups if name not in new_groups)
    changed = sorted(
        name for name, group in new_groups.items()
        if name in old_groups and (env_changed or old_groups[name] != group)
    )
    return added, changed, removed


def changed_processes(old: GroupSpec, new: GroupSpec) -> set[str]:
    """Names of processes added, removed or different between two versions of a group."""
    before = {p.name: p for p in old.processes}
    after = {p.name: p for p in new.processes}
    return {
        name for name in before.keys() | after.keys()
        if before.get(name) != after.get(name)
    }


def recreates_group(old: GroupSpec, new: GroupSpec) -> bool:
    """Group-level settings changed: the whole group is stopped and built again."""
    return (old.kind, old.priority, old.fcgi, old.listener) != (
        new.kind,
        new.priority,
        new.fcgi,
        new.listener,
    )


@record
class GroupPlan:
    """What minder's in-place update does to one active group that changed.

    ``stale`` are stopped and dropped, ``fresh`` are created (and started if
    autostart); a process in neither keeps running with its pid.
    ``restarted`` / ``added`` / ``removed`` say the same thing by process
    name, the way ``update`` reports it.
    """

    recreate: bool
    stale: tuple[str, ...]
    fresh: tuple[str, ...]

    @property
    def restarted(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.stale) & set(self.fresh)))

    @property
    def added(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.fresh) - set(self.stale)))

    @property
    def removed(self) -> tuple[str, ...]:
        return tuple(sorted(set(self.stale) - set(self.fresh)))


def plan_group_update(old: GroupSpec, new: GroupSpec, env_changed: bool) -> GroupPlan:
    """Which processes an update of ``old`` to ``new`` replaces.

    A changed ``[supervisord] environment`` replaces every process (it is in
    each child's environment); a group-level change replaces the group.
    """
    before = [p.name for p in old.processes]
    after = [p.name for p in new.processes]
    if recreates_group(old, new) or env_changed:
        return GroupPlan(recreates_group(old, new), tuple(before), tuple(after))
    changed = changed_processes(old, new)
    return GroupPlan(
        False,
        tuple(n for n in before if n in changed),
        tuple(n for n in after if n in changed),
    )
