"""The event bus: domain events fan out to bounded subscriber queues.

Publishing must never block supervision, so every subscriber has its own
bounded deque; when a slow consumer lets it fill up, the oldest event is
dropped and counted (``dropped``) rather than stalling the engine or
growing without limit. Output chunks are only built and published when
somebody asked for them (``wants_logs``), so the log fast path costs
nothing while nobody watches.

Synchronous listeners (``add_listener``) are for in-process consumers that
must see every event in order and at once, such as the event-listener
pools; they must not block. A listener names the event types it consumes
(``types``) and is only called with those: stopping 500 processes makes
2,000 events, and five listeners each testing and dropping most of them
cost more than the stop's own bookkeeping. ``wants(kind)`` lets a
publisher skip building an event that nobody would receive.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable

from minder.model.events import DomainEvent, ProcessLogChunk

Listener = Callable[[DomainEvent], None]
EventTypes = tuple[type, ...] | None  # None: every type


class Subscription:
    """One consumer's queue. Iterate with ``async for``; ``close()`` to stop."""

    def __init__(self, bus: EventBus, *, logs: bool, maxsize: int) -> None:
        self._bus = bus
        self.logs = logs
        self._queue: deque[DomainEvent] = deque(maxlen=max(1, maxsize))
        self._wakeup = asyncio.Event()
        self.dropped = 0
        self.closed = False

    def _offer(self, event: DomainEvent) -> None:
        if len(self._queue) == self._queue.maxlen:
            self.dropped += 1
        self._queue.append(event)
        self._wakeup.set()

    def get_nowait(self) -> DomainEvent | None:
        return self._queue.popleft() if self._queue else None

    async def get(self) -> DomainEvent:
        while not self._queue:
            if self.closed:
                raise StopAsyncIteration
            self._wakeup.clear()
            await self._wakeup.wait()
        return self._queue.popleft()

    def __aiter__(self) -> AsyncIterator[DomainEvent]:
        return self

    async def __anext__(self) -> DomainEvent:
        return await self.get()

    def close(self) -> None:
        if not self.closed:
            self.closed = True
            self._bus._remove(self)
            self._wakeup.set()


class EventBus:
    def __init__(self) -> None:
        self._subs: list[Subscription] = []
        self._listeners: list[tuple[Listener, EventTypes]] = []  # in registration order
        self._targets: dict[type, tuple[Listener, ...]] = {}  # per event type, built on use
        self._log_subscribers = 0
        self._log_listeners = 0
        self.on_listener_error: Callable[[str], None] = lambda message: None
        self._pending: deque[DomainEvent] = deque()
        self._delivering = False

    @property
    def wants_logs(self) -> bool:
        """True when someone consumes ProcessLogChunk events."""
        return self._log_subscribers > 0 or self._log_listeners > 0

    def wants(self, kind: type) -> bool:
        """Whether an event of type ``kind`` published now would reach anyone."""
        if kind is ProcessLogChunk:
            return self.wants_logs
        return bool(self._subs) or bool(self._listeners_of(kind))

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, logs=logs, maxsize=maxsize)
        self._subs.append(sub)
        if logs:
            self._log_subscribers += 1
        return sub

    def add_listener(
        self, listener: Listener, *, logs: bool = False, types: Iterable[type] | None = None
    ) -> Callable[[], None]:
        """Call ``listener`` synchronously for every event (of ``types``); returns a remover."""
        self._listeners.append((listener, None if types is None else tuple(types)))
        self._targets.clear()
        if logs:
            self._log_listeners += 1

        def remove() -> None:
            for i, (known, _) in enumerate(self._listeners):
                if known == listener:
                    del self._listeners[i]
                    self._targets.clear()
                    if logs:
                        self._log_listeners -= 1
                    return

        return remove

    def retune(self, listener: Listener, types: Iterable[type] | None) -> None:
        """Change which event types ``listener`` receives; it keeps its place in the order."""
        wanted = None if types is None else tuple(types)
        for i, (known, _) in enumerate(self._listeners):
            if known == listener:
                self._listeners[i] = (known, wanted)
                self._targets.clear()

    def _listeners_of(self, kind: type) -> tuple[Listener, ...]:
        targets = self._targets.get(kind)
        if targets is None:
            targets = self._targets[kind] = tuple(
                listener for listener, types in self._listeners
                if types is None or issubclass(kind, types)
            )
        return targets

    def _remove(self, sub: Subscription) -> None:
        if sub in self._subs:
            self._subs.remove(sub)
            if sub.logs:
                self._log_subscribers -= 1

    def publish(self, event: DomainEvent) -> None:
        """Deliver ``event`` to everyone, in causal order.

        A listener may cause further events (a dependency reaching RUNNING
        starts its dependent). Those are queued and delivered after the
        current one, so every consumer sees events in the order they happened.
        """
        self._pending.append(event)
        if self._delivering:
            return
        self._delivering = True
        try:
            while self._pending:
                self._deliver(self._pending.popleft())
        finally:
            self._delivering = False

    def _deliver(self, event: DomainEvent) -> None:
        if self._subs:
            is_log = isinstance(event, ProcessLogChunk)
            for sub in self._subs:
                if is_log and not sub.logs:
                    continue
                sub._offer(event)
        # A tuple built for this type: listeners added or removed while it is
        # delivered take effect from the next event, as with a copied list.
        for listener in self._listeners_of(type(event)):
            try:
                listener(event)
            except Exception as exc:  # a broken consumer must not break supervision
                self.on_listener_error(f"event listener {listener!r} failed on {event!r}: {exc!r}")
