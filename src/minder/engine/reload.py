"""reread / update: from the last-read config to the running groups.

The Supervisor keeps the running groups; this module keeps the config read
by the last ``reloadConfig`` ("pending") and applies it on request.
model/diff.py decides what changed (supervisord's group-level rules) and
which processes an in-place update replaces; this module carries that out
and reports what it actually did, so no front end has to infer it.

Where minder improves on supervisord (docs/differences.md): ``update_group``
restarts only the processes whose spec changed; the others keep their pid.
A group with ``update_strategy=rolling`` has its changed running processes
replaced ``update_batch`` at a time through the rollout of engine/control.py
(each batch ready before the next); the first failure stops it, and the
processes not reached keep running the old version. The group's spec then
records that mix, so the next ``reread`` still shows the group changed.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Coroutine, Mapping, Sequence
from typing import Any

from minder.engine.api import ConfigDiff, ConfigEntry, GroupUpdate, Outcome, RolloutStep
from minder.engine.group import GroupRuntime
from minder.engine.process import ProcessRunner
from minder.engine.rollout import Replace
from minder.model.diff import GroupPlan, plan_group_update, recreates_group
from minder.model.specs import GroupSpec, LogSpec, RootSpec
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.states import ProcessState

ConfigLoader = Callable[[], RootSpec]
StopAll = Callable[[list[ProcessRunner]], Coroutine[Any, Any, None]]
# engine/control.py's rollout: (runners, batch size, replace) -> its steps
Roll = Callable[[Sequence[ProcessRunner], int, Replace], Coroutine[Any, Any, list[RolloutStep]]]


def _configured_log(log: LogSpec, redirected: bool = False) -> str:
    if redirected:
        return "none"
    if log.auto:
        return "auto"
    return log.path if log.path is not None else "none"


class ConfigReloader:
    """The pending config and the verbs that apply it (one per Supervisor)."""

    def __init__(
        self,
        root: RootSpec,
        groups: Mapping[str, GroupRuntime],
        *,
        loader: ConfigLoader | None,
        check_running: Callable[[], None],
        create_group: Callable[[GroupSpec], GroupRuntime],
        drop_group: Callable[[str], None],
        stop_and_wait: StopAll,
        stop_group: Callable[[str], Coroutine[Any, Any, list[Outcome]]],
        autostart: Callable[[ProcessRunner], None] = ProcessRunner.start_now,
        roll: Roll | None = None,
        log: Callable[[str, str], None] = lambda level, message: None,
    ) -> None:
        self.pending = root
        self._groups = groups  # the Supervisor's live mapping (changed only through it)
        self._loader = loader
        self._check_running = check_running
        self._create_group = create_group
        self._drop_group = drop_group
        self._stop_and_wait = stop_and_wait
        self._stop_group = stop_group
        self._autostart = autostart  # depends_on: deferred until the dependencies are ready
        self._roll = roll
        self._log = log

    def load(self) -> RootSpec:
        """Read the config file again (CANT_REREAD if there is none or it is broken)."""
        if self._loader is None:
            raise SupervisorFault(Faults.CANT_REREAD, "no config file to re-read")
        try:
            return self._loader()
        except Exception as exc:
            raise SupervisorFault(Faults.CANT_REREAD, str(exc)) from None

    # --- reread -------------------------------------------------------------

    def reload_config(self) -> ConfigDiff:
        self._check_running()
        self.pending = self.load()
        return self.pending_diff()

    def _env_changed(self, group: GroupRuntime) -> bool:
        return self.pending.daemon.environment != group.daemon_env

    def pending_diff(self) -> ConfigDiff:
        """Added, changed and removed groups between the running ones and the last read."""
        new_groups = {g.name: g for g in self.pending.groups}
        added = sorted(set(new_groups) - set(self._groups))
        removed = sorted(set(self._groups) - set(new_groups))
        changed = sorted(
            name
            for name, group in self._groups.items()
            if name in new_groups and (new_groups[name] != group.spec or self._env_changed(group))
        )
        plans = []
        for name in changed:
            group = self._groups[name]
            plan = plan_group_update(group.spec, new_groups[name], self._env_changed(group))
            plans.append(GroupUpdate(name, "updated", plan.restarted, plan.added, plan.removed))
        return ConfigDiff(tuple(added), tuple(changed), tuple(removed), tuple(plans))

    def config_entries(self) -> list[ConfigEntry]:
        entries: list[ConfigEntry] = []
        for gspec in self.pending.groups:
            active = self._groups.get(gspec.name)
            for pspec in gspec.processes:
                out = _configured_log(pspec.stdout)
                err = _configured_log(pspec.stderr, pspec.redirect_stderr)
                paths = active.log_paths.get(pspec.name) if active is not None else None
                if paths is not None:
                    if pspec.stdout.auto:
                        out = paths.stdout or "none"
                    if pspec.stderr.auto and not pspec.redirect_stderr:
                        err = paths.stderr or "none"
                entries.append(ConfigEntry(gspec, pspec, active is not None, out, err))
        return entries

    # --- add / remove -------------------------------------------------------

    async def add_group(self, name: str) -> None:
        self._check_running()
        gspec = self.pending.group(name)
        if gspec is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if name in self._groups:
            raise SupervisorFault(Faults.ALREADY_ADDED, name)
        try:
            self._create_group(gspec)
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, f"{name}: {exc}") from None

    async def remove_group(self, name: str) -> None:
        self._check_running()
        group = self._groups.get(name)
        if group is None:
            raise SupervisorFault(Faults.BAD_NAME, name)
        if not group.all_stopped():
            raise SupervisorFault(Faults.STILL_RUNNING, name)
        self._drop_group(name)

    # --- update -------------------------------------------------------------

    async def update_group(self, name: str) -> GroupUpdate:
        """minder's update: apply the last-read config to one group in place."""
        self._check_running()
        new = self.pending.group(name)
        group = self._groups.get(name)
        if group is None:
            if new is None:
                raise SupervisorFault(Faults.BAD_NAME, name)
            await self.add_group(name)
            return GroupUpdate(name, "added", added=_names(new))
        old = group.spec
        if new is None:
            await self._stop_and_wait(list(group.processes.values()))
            await self.remove_group(name)
            return GroupUpdate(name, "removed", removed=_names(old))
        env_changed = self._env_changed(group)
        if new == old and not env_changed:
            return GroupUpdate(name, "unchanged")
        plan = plan_group_update(old, new, env_changed)
        if recreates_group(old, new):
            await self._stop_and_wait(list(group.processes.values()))
            await self.remove_group(name)
            await self.add_group(name)
        elif new.update_strategy == "rolling" and self._roll is not None:
            return await self._rolling_update(group, new, plan)
        else:
            await self._stop_and_wait([group.processes[n] for n in plan.stale])
            for runner in group.replace_processes(new, self.pending.daemon.environment, plan.stale):
                if runner.spec.autostart:
                    self._autostart(runner)  # depends_on: once its dependencies are ready
        return GroupUpdate(
            name,
            "updated",
            restarted=plan.restarted,
            added=plan.added,
            removed=plan.removed,
        )

    async def _rolling_update(
        self, group: GroupRuntime, new: GroupSpec, plan: GroupPlan
    ) -> GroupUpdate:
        """update_strategy=rolling: the changed RUNNING processes one batch at a time.

        Removed processes and changed ones that are not running are replaced
        first, at once (nothing serves through them); added processes come
        last, once the rollout has succeeded. After a failure the group's
        spec is the mix actually running, with the old [supervisord]
        environment if that changed, so the next update retries the rest.
        """
        assert self._roll is not None
        old = group.spec
        env = self.pending.daemon.environment
        old_env = group.daemon_env
        new_specs = {p.name: p for p in new.processes}
        rolling = [r for r in group.in_start_order()
                   if r.name in plan.restarted and r.state is ProcessState.RUNNING]
        done = set(plan.stale) - {r.name for r in rolling}

        def interim() -> GroupSpec:
            kept = [new_specs[p.name] if p.name in done else p for p in old.processes
                    if p.name in new_specs]
            return dataclasses.replace(new, processes=tuple(kept))

        at_once = [group.processes[n] for n in plan.stale if n in done]
        await self._stop_and_wait(at_once)
        for runner in group.replace_processes(interim(), env, tuple(r.name for r in at_once)):
            if runner.spec.autostart:
                self._autostart(runner)

        def replace(batch: Sequence[ProcessRunner]) -> list[ProcessRunner]:
            done.update(r.name for r in batch)
            return group.replace_processes(interim(), env, tuple(r.name for r in batch))

        steps: list[RolloutStep] = []
        if rolling:
            self._log("info", f"{new.name}: rolling update of {len(rolling)} process(es), "
                      f"{new.update_batch} at a time")
            steps = await self._roll(rolling, new.update_batch, replace)
        for step in steps:
            level = "info" if step.outcome == "restarted" else "warn"
            self._log(level, f"{new.name}: rolling update: {step.namespec} {step.outcome}"
                      + (f" ({step.detail})" if step.detail else ""))
        failed = [s for s in steps if s.outcome == "failed"]
        if failed:
            left = [s.namespec for s in steps if s.outcome == "not reached"]
            group.replace_processes(group.spec, old_env, ())
            reason = "; ".join(s.detail for s in failed)  # each names its process
            kept = f"; left on the old version: {', '.join(left)}" if left else ""
            raise SupervisorFault(Faults.FAILED,
                                  f"{new.name}: rolling update stopped ({reason}){kept}")
        for runner in group.replace_processes(new, env, ()):
            if runner.spec.autostart:
                self._autostart(runner)
        self._log("info", f"{new.name}: rolling update done")
        return GroupUpdate(new.name, "updated", restarted=plan.restarted,
                           added=plan.added, removed=plan.removed)

    async def update_all(self) -> list[GroupUpdate]:
        """supervisorctl's ``update``: re-read, then remove, update and add groups."""
        diff = self.reload_config()
        priority = {g.name: g.priority for g in self.pending.groups}
        reports: list[GroupUpdate] = []
        for name in diff.removed:
            old = self._groups[name].spec
            outcomes = await self._stop_group(name)
            if any(o.fault is not None for o in outcomes):
                fault = SupervisorFault(Faults.FAILED, f"{name} has problems; not removing")
                reports.append(GroupUpdate(name, "removed", fault=fault))
                continue
            reports.append(await self._step(name, "removed", self.remove_group, old))
        for name in sorted(diff.changed, key=lambda g: (priority.get(g, 999), g)):
            try:
                reports.append(await self.update_group(name))
            except SupervisorFault as fault:
                reports.append(GroupUpdate(name, "updated", fault=fault))
        for name in diff.added:
            new = self.pending.group(name)
            reports.append(await self._step(name, "added", self.add_group, new))
        return reports

    async def _step(
        self,
        name: str,
        action: str,
        work: Callable[[str], Coroutine[Any, Any, None]],
        spec: GroupSpec | None,
    ) -> GroupUpdate:
        try:
            await work(name)
        except SupervisorFault as fault:
            return GroupUpdate(name, action, fault=fault)
        names = _names(spec) if spec is not None else ()
        if action == "added":
            return GroupUpdate(name, action, added=names)
        return GroupUpdate(name, action, removed=names)


def _names(spec: GroupSpec) -> tuple[str, ...]:
    return tuple(sorted(p.name for p in spec.processes))
