"""The event bus: domain events fan out to bounded subscriber queues.

Publishing must never block supervision, so every subscriber has its own
bounded deque; when a slow consumer lets it fill up, the oldest event is
dropped and counted (``dropped``) rather than stalling the engine or
growing without limit. Output chunks are only built and published when
somebody asked for them (``wants_logs``), so the log fast path costs
nothing while nobody watches.

Synchronous listeners (``add_listener``) are for in-process consumers that
must see every event in order and at once, such as the event-listener
pools; they must not block.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator, Callable

from minder.model.events import DomainEvent, ProcessLogChunk

Listener = Callable[[DomainEvent], None]


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
        self._listeners: list[Listener] = []
        self._log_subscribers = 0
        self._log_listeners = 0
        self.on_listener_error: Callable[[str], None] = lambda message: None
        self._pending: deque[DomainEvent] = deque()
        self._delivering = False

    @property
    def wants_logs(self) -> bool:
        """True when someone consumes ProcessLogChunk events."""
        return self._log_subscribers > 0 or self._log_listeners > 0

    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> Subscription:
        sub = Subscription(self, logs=logs, maxsize=maxsize)
        self._subs.append(sub)
        if logs:
            self._log_subscribers += 1
        return sub

    def add_listener(self, listener: Listener, *, logs: bool = False) -> Callable[[], None]:
        """Call ``listener`` synchronously for every event; returns a remover."""
        self._listeners.append(listener)
        if logs:
            self._log_listeners += 1

        def remove() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)
                if logs:
                    self._log_listeners -= 1

        return remove

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
        is_log = isinstance(event, ProcessLogChunk)
        for sub in self._subs:
            if is_log and not sub.logs:
                continue
            sub._offer(event)
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception as exc:  # a broken consumer must not break supervision
                self.on_listener_error(f"event listener {listener!r} failed on {event!r}: {exc!r}")
