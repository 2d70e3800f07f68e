"""The groups the Supervisor runs now: creating, dropping and finding them.

Separate from engine/supervisor.py because this is bookkeeping, not a
decision: the Supervisor owns the mood and hands verbs to their rooms,
while this table only knows how a ``GroupSpec`` becomes a running group
(its context, log sinks and the announcement on the bus), how a group goes
away, and where each runner is. The dict it holds is the one that
engine/control.py and engine/reload.py read.
"""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import Callable, Iterator

from minder.engine.api import ProcessSnapshot
from minder.engine.bus import EventBus
from minder.engine.containment import Containment
from minder.engine.context import EngineContext
from minder.engine.defaults import Logger
from minder.engine.group import GroupRuntime, SinkFactory
from minder.engine.logs.autonames import AutoLogBatch
from minder.engine.process import ProcessRunner
from minder.model.events import GroupAdded, GroupRemoved
from minder.model.specs import GroupSpec, RootSpec
from minder.protocol.states import ProcessState

DaemonEnv = tuple[tuple[str, str], ...]


class GroupTable:
    def __init__(
        self,
        root: RootSpec,
        bus: EventBus,
        log: Logger,
        sink_factory: SinkFactory,
        *,
        pending_env: Callable[[], DaemonEnv],
        may_autostart: Callable[[], bool],
        autostart: Callable[[ProcessRunner], None],
    ) -> None:
        self.groups: dict[str, GroupRuntime] = {}
        self.ctx: EngineContext | None = None  # set once the engine starts
        # start-up's AUTO logs, made after its burst of spawns (Supervisor.start)
        self.auto_logs: AutoLogBatch | None = None
        self._root = root
        self._bus = bus
        self._log = log
        self._sink_factory = sink_factory
        self._pending_env = pending_env
        self._may_autostart = may_autostart
        self._autostart = autostart
        # (table context, environment, the context groups made with both get)
        self._shared_ctx: tuple[EngineContext, DaemonEnv, EngineContext] | None = None

    def create(self, gspec: GroupSpec) -> GroupRuntime:
        assert self.ctx is not None
        daemon = self._root.daemon
        debug_echo = None
        is_enabled = getattr(self._log, "is_enabled_for", None)
        if is_enabled is not None and is_enabled(10):
            debug_echo = self._log.debug
        group = GroupRuntime(
            gspec,
            # Each group keeps the [supervisord] environment it was built
            # with: a reread that changes it marks the group changed, and
            # only update (re)creates its processes with the new one.
            self._group_ctx(),
            sink_factory=self._sink_factory,
            childlogdir=daemon.childlogdir,
            identifier=daemon.identifier,
            strip_ansi=daemon.strip_ansi,
            debug_echo=debug_echo,
            auto_logs=self.auto_logs,
        )
        self.groups[gspec.name] = group
        self._bus.publish(GroupAdded(gspec.name))
        return group

    def _group_ctx(self) -> EngineContext:
        """The table's context with the ``[supervisord]`` environment of now, for a new group.

        Groups made with the same environment share one: start-up's 500 groups
        made one copy, not 500 (~5 us each). Nothing changes a group's context
        after it is made but ``use_containment``, which sets the same backend
        in every one.
        """
        assert self.ctx is not None
        env = self._pending_env()
        shared = self._shared_ctx
        if shared is None or shared[0] is not self.ctx or shared[1] is not env:
            made = dataclasses.replace(self.ctx, daemon_env=env)
            shared = self._shared_ctx = (self.ctx, env, made)
        return shared[2]

    @contextlib.contextmanager
    def auto_logs_made_after(self) -> Iterator[None]:
        """Groups created in this block name their AUTO logs; the files are made at its end.

        Start-up wraps its burst of spawns in it, which runs in one turn of the
        event loop (engine/logs/autonames.py says why and why that is safe).
        """
        self.auto_logs = batch = AutoLogBatch()
        try:
            yield
        finally:
            self.auto_logs = None
            batch.create_all()

    def use_containment(self, containment: Containment) -> None:
        """Hand the backend chosen at start-up to every context made before it."""
        assert self.ctx is not None
        self.ctx.containment = containment
        for group in self.groups.values():
            group.ctx.containment = containment

    def add_and_autostart(self, gspec: GroupSpec) -> GroupRuntime:
        group = self.create(gspec)
        self.autostart(group)
        return group

    def drop(self, name: str) -> None:
        group = self.groups.pop(name)
        group.close()
        self._bus.publish(GroupRemoved(name))

    def autostart(self, group: GroupRuntime) -> None:
        if not self._may_autostart():
            return
        for runner in group.in_start_order():
            if runner.spec.autostart and runner.state is ProcessState.STOPPED:
                self._autostart(runner)

    def runners(self) -> list[ProcessRunner]:
        return [r for g in self.groups.values() for r in g.processes.values()]

    def find_runner(self, group: str, name: str) -> ProcessRunner | None:
        g = self.groups.get(group)
        return g.processes.get(name) if g is not None else None

    def group_spec(self, group: str) -> GroupSpec | None:
        g = self.groups.get(group)
        return g.spec if g is not None else None

    def snapshots(self, now: float) -> list[ProcessSnapshot]:
        """Every process, by group then name (getAllProcessInfo's order)."""
        runners = sorted(self.runners(), key=lambda r: (r.group, r.name))
        return [self.groups[r.group].snapshot(r, now) for r in runners]

    def close(self) -> None:
        for group in self.groups.values():
            group.close()
        self.groups.clear()
