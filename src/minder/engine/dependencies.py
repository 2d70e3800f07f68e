"""minder's ``depends_on``: start a program after the ones it needs, stop it before them.

Why waves: supervisord orders only by priority and never waits at start-up.
With ``depends_on`` a process is autostarted only once every process of the
programs it names is *ready* (RUNNING, or its ready_check passed; an event,
not a poll: waiting starts are re-checked on each readiness change), a
dependency that goes FATAL is named in the waiting process's description
and the main log, and shutdown stops in waves — first everything that
no running process depends on, then what those depended on — keeping
supervisord's group-by-group, highest-priority-first order inside a wave.
With no ``depends_on`` anywhere there is a single wave, i.e. exactly
supervisord's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Protocol, TypeVar

from minder.model.events import DomainEvent, ProcessReadinessChanged, ProcessStateChanged
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.bus import EventBus


class Node(Protocol):
    @property
    def spec(self) -> ProcessSpec: ...

    @property
    def state(self) -> ProcessState: ...

    @property
    def ready(self) -> bool: ...


N = TypeVar("N", bound=Node)


def dependencies_ready(node: Node, everyone: Iterable[Node]) -> bool:
    """True when every process of every program ``node`` depends on is ready."""
    needs = set(node.spec.depends_on)
    if not needs:
        return True
    return all(other.ready for other in everyone if other.spec.program_name in needs)


def failed_dependencies(node: Node, everyone: Iterable[Node]) -> list[str]:
    """The processes ``node`` depends on that are FATAL (they will not become ready)."""
    needs = set(node.spec.depends_on)
    return [
        other.spec.name for other in everyone
        if other.spec.program_name in needs and other.state is ProcessState.FATAL
    ]


def stop_waves(nodes: Sequence[N]) -> list[list[N]]:
    """Split ``nodes`` into waves; a node comes after every node that depends on it."""
    pending = list(nodes)
    waves: list[list[N]] = []
    while pending:
        needed = {name for n in pending for name in n.spec.depends_on}
        wave = [n for n in pending if n.spec.program_name not in needed]
        if not wave:  # a cycle (the config refuses them): stop the rest together
            wave = pending
        waves.append(wave)
        pending = [n for n in pending if n not in wave]
    return waves


class Startable(Node, Protocol):
    @property
    def namespec(self) -> str: ...

    @property
    def removed(self) -> bool: ...

    blocked_by: str  # why it is not started yet, for its description ("" = nothing)

    def start_now(self) -> None: ...


class DeferredStarts:
    """Starts held back until their dependencies are ready.

    It listens on the bus only while some start is held back, so that
    without depends_on no readiness event is even built for it.
    """

    EVENTS = (ProcessReadinessChanged, ProcessStateChanged)  # what on_event reads

    def __init__(
        self, everyone: Callable[[], Iterable[Startable]], log: Callable[[str], None],
        bus: EventBus,
    ) -> None:
        self._everyone = everyone
        self._log = log
        self._bus = bus
        self._waiting: list[Startable] = []
        bus.add_listener(self.on_event, types=())

    def _hold(self, nodes: list[Startable]) -> None:
        """Set the held-back starts; listen on the bus only while there are any."""
        if bool(nodes) != bool(self._waiting):
            self._bus.retune(self.on_event, self.EVENTS if nodes else ())
        self._waiting = nodes

    def autostart(self, node: Startable) -> None:
        # Most programs depend on nothing: listing every process for each of
        # them made starting N programs cost O(N^2).
        if not node.spec.depends_on or dependencies_ready(node, self._everyone()):
            node.blocked_by = ""
            node.start_now()
            return
        needs = ", ".join(node.spec.depends_on)
        self._log(f"{node.namespec} waits for {needs} to be ready before it starts")
        node.blocked_by = f"waiting for {needs} to be ready"
        if node not in self._waiting:
            self._hold([*self._waiting, node])
        self._report_fatal([node], list(self._everyone()))

    @property
    def waiting(self) -> list[Startable]:
        return list(self._waiting)

    def on_event(self, event: DomainEvent) -> None:
        if not self._waiting:
            return
        everyone: list[Startable]
        if isinstance(event, ProcessReadinessChanged) and event.ready:
            everyone = list(self._everyone())
            still: list[Startable] = []
            for node in self._waiting:
                if node.removed:
                    continue
                if dependencies_ready(node, everyone):
                    node.blocked_by = ""
                    if node.state is ProcessState.STOPPED:
                        node.start_now()
                else:
                    still.append(node)
            self._hold(still)
        elif isinstance(event, ProcessStateChanged) and event.to_state is ProcessState.FATAL:
            self._report_fatal(self._waiting, list(self._everyone()))

    def _report_fatal(self, nodes: Iterable[Startable], everyone: list[Startable]) -> None:
        for node in nodes:
            failed = failed_dependencies(node, everyone)
            if failed:
                why = f"dependency {', '.join(failed)} is FATAL"
                if node.blocked_by != why:
                    node.blocked_by = why
                    self._log(f"{node.namespec} cannot start: {why}")

    def forget(self, node: Startable) -> None:
        """A waiting start was cancelled (the process was stopped or removed)."""
        if node in self._waiting:
            self._hold([n for n in self._waiting if n is not node])
            node.blocked_by = ""

    def clear(self) -> None:
        for node in self._waiting:
            node.blocked_by = ""
        self._hold([])
