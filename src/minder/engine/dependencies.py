"""minder's ``depends_on``: start a program after the ones it needs, stop it before them.

Why waves: supervisord orders only by priority and never waits at start-up.
With ``depends_on`` a process is autostarted only once every process of the
programs it names is RUNNING (an event, not a poll: the Supervisor re-checks
on each state change), and shutdown stops in waves — first everything that
no running process depends on, then what those depended on — keeping
supervisord's group-by-group, highest-priority-first order inside a wave.
With no ``depends_on`` anywhere there is a single wave, i.e. exactly
supervisord's order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, TypeVar

from minder.model.events import DomainEvent, ProcessStateChanged
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState


class Node(Protocol):
    @property
    def spec(self) -> ProcessSpec: ...

    @property
    def state(self) -> ProcessState: ...


N = TypeVar("N", bound=Node)


def dependencies_running(node: Node, everyone: Iterable[Node]) -> bool:
    """True when every process of every program ``node`` depends on is RUNNING."""
    needs = set(node.spec.depends_on)
    if not needs:
        return True
    return all(
        other.state is ProcessState.RUNNING
        for other in everyone
        if other.spec.program_name in needs
    )


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

    def start_now(self) -> None: ...


class DeferredStarts:
    """Autostarts held back until their dependencies are RUNNING."""

    def __init__(self, everyone: Callable[[], Iterable[Startable]], log: Callable[[str], None]):
        self._everyone = everyone
        self._log = log
        self._waiting: list[Startable] = []

    def autostart(self, node: Startable) -> None:
        # Most programs depend on nothing: listing every process for each of
        # them made starting N programs cost O(N^2).
        if not node.spec.depends_on or dependencies_running(node, self._everyone()):
            node.start_now()
            return
        needs = ", ".join(node.spec.depends_on)
        self._log(f"{node.namespec} waits for {needs} to be RUNNING before it starts")
        self._waiting.append(node)

    def on_event(self, event: DomainEvent) -> None:
        if not self._waiting or not isinstance(event, ProcessStateChanged):
            return
        if event.to_state is not ProcessState.RUNNING:
            return
        everyone = list(self._everyone())
        still: list[Startable] = []
        for node in self._waiting:
            if node.removed:
                continue
            if dependencies_running(node, everyone):
                if node.state is ProcessState.STOPPED:
                    node.start_now()
            else:
                still.append(node)
        self._waiting = still

    def clear(self) -> None:
        self._waiting = []
