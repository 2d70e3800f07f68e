"""The event router: domain events from the bus -> the listener pools.

It is a synchronous bus listener, so it sees every event in order and at
the moment it happens: a listener's STARTING resets its protocol state
before any of its output can be read, and its exit re-buffers its event
before the next spawn. The global ``serial`` is taken only when at least
one pool accepts an event, as in supervisord.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from minder.engine.events.results import load_result_handler
from minder.model.events import DomainEvent, ProcessLogChunk, ProcessStateChanged
from minder.model.specs import GroupSpec
from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.events.pool import ListenerHandle, ListenerPool, PoolLog

HandleFactory = Callable[[str, str], "ListenerHandle"]
LogEventsEnabled = Callable[[str, str, str], bool]

_GONE = frozenset(
    {
        ProcessState.BACKOFF,
        ProcessState.EXITED,
        ProcessState.STOPPED,
        ProcessState.FATAL,
        ProcessState.UNKNOWN,
    }
)


class EventRouter:
    def __init__(
        self,
        *,
        server: str,
        log: PoolLog,
        handle_factory: HandleFactory,
        log_events_enabled: LogEventsEnabled,
    ) -> None:
        self.server = server
        self.log = log
        self._handle_factory = handle_factory
        self._log_events_enabled = log_events_enabled
        self.pools: dict[str, ListenerPool] = {}
        self.serial = -1

    def add_pool(self, spec: GroupSpec) -> ListenerPool:
        """Create the pool of an [eventlistener:x] group (ValueError: bad handler)."""
        if spec.listener is None:
            raise ValueError(f"group {spec.name} is not an event listener pool")
        # The pool machinery and the renderer load with the first pool: a daemon
        # with no [eventlistener:x] never needs them, and its start-up saves ~2 ms.
        from minder.engine.events.pool import ListenerPool

        pool = ListenerPool(
            spec.name,
            events=spec.listener.events,
            buffer_size=spec.listener.buffer_size,
            process_names=[p.name for p in spec.processes],
            server=self.server,
            handler=load_result_handler(spec.listener.result_handler),
            log=self.log,
        )
        self.pools[spec.name] = pool
        return pool

    def remove_pool(self, name: str) -> None:
        self.pools.pop(name, None)

    @property
    def dropped(self) -> int:
        """Events discarded on buffer overflow, over all pools."""
        return sum(p.dropped for p in self.pools.values())

    def on_event(self, event: DomainEvent) -> None:
        """Bus listener: must never block and never raise into the engine."""
        try:
            self._route(event)
        except Exception as exc:  # a bug here must not take supervision down
            self.log.error(f"event routing failed for {type(event).__name__}: {exc!r}")

    def _route(self, event: DomainEvent) -> None:
        own_pool = None
        if isinstance(event, ProcessStateChanged):
            own_pool = self.pools.get(event.group)
            if own_pool is not None:
                self._track_listener(own_pool, event)
        elif isinstance(event, ProcessLogChunk) and not self._log_events_enabled(
            event.group, event.name, event.channel
        ):
            return
        # Rendering is the costly part (a payload string per event), and with
        # no pool nobody could take it: skip it. The serial only advances when
        # some pool accepts, so skipping changes nothing a listener sees.
        rendered = None
        if self.pools:
            from minder.engine.events.pool import next_serial
            from minder.engine.events.render import render

            rendered = render(event)
        if rendered is not None:
            takers = [p for p in self.pools.values() if p.wants(rendered.name)]
            if takers:
                self.serial = next_serial(self.serial)
                for pool in takers:
                    pool.accept(self.serial, rendered)
        running = isinstance(event, ProcessStateChanged) and event.to_state == ProcessState.RUNNING
        if own_pool is not None and running:
            own_pool.dispatch()

    def _track_listener(self, pool: ListenerPool, event: ProcessStateChanged) -> None:
        if event.to_state == ProcessState.STARTING:
            pool.attach(event.name, self._handle_factory(event.group, event.name))
        elif event.to_state in _GONE:
            pool.detach(event.name)
