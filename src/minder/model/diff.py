"""What changed between two loaded configs (``reread`` / ``update``).

supervisord compares whole groups by name (reference §3.7): a group is
"changed" when its name matches but its config differs, and any change to
``[supervisord] environment`` changes every group, because that environment
is merged into each child's. Provenance is excluded from spec equality, so
moving a section around a file is not a change.

``changed_processes`` narrows a changed group to the processes that differ,
so the engine can restart only those where it chooses to.
"""

from __future__ import annotations

from minder.model.specs import GroupSpec, RootSpec


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
