"""The event bus: listeners get the types they name, in order; ``wants`` tells publishers."""

from __future__ import annotations

from minder.engine.bus import EventBus
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    MainLogLine,
    ProcessLogChunk,
    ProcessReadinessChanged,
    ProcessStateChanged,
    Tick,
)
from minder.protocol.states import ProcessState as S


def changed(to: S) -> ProcessStateChanged:
    return ProcessStateChanged("g", "p", S.RUNNING, to, 42, 0, False, 1.0)


def test_a_listener_gets_only_the_types_it_names_and_an_untyped_one_gets_all() -> None:
    bus = EventBus()
    seen: list[tuple[str, DomainEvent]] = []
    bus.add_listener(lambda e: seen.append(("states", e)), types=(ProcessStateChanged,))
    bus.add_listener(lambda e: seen.append(("all", e)))
    bus.add_listener(lambda e: seen.append(("groups", e)), types=(GroupAdded,))
    stopping, tick, added = changed(S.STOPPING), Tick(5, 0), GroupAdded("g")
    for event in (stopping, tick, added):
        bus.publish(event)
    assert seen == [
        ("states", stopping), ("all", stopping), ("all", tick), ("all", added), ("groups", added),
    ]


def test_wants_says_whether_an_event_would_reach_anyone() -> None:
    bus = EventBus()
    assert not bus.wants(MainLogLine)
    remove = bus.add_listener(lambda e: None, types=(ProcessStateChanged,))
    assert bus.wants(ProcessStateChanged)
    assert not bus.wants(MainLogLine)
    assert not bus.wants(ProcessReadinessChanged)
    sub = bus.subscribe()  # a subscription takes every type but log chunks
    assert bus.wants(MainLogLine)
    assert not bus.wants(ProcessLogChunk)
    sub.close()
    remove()
    assert not bus.wants(ProcessStateChanged)
    bus.add_listener(lambda e: None, logs=True, types=(ProcessLogChunk,))
    assert bus.wants(ProcessLogChunk)


def test_retune_changes_the_types_but_keeps_the_listener_in_its_place() -> None:
    bus = EventBus()
    order: list[str] = []

    def first(event: DomainEvent) -> None:
        order.append("first")

    bus.add_listener(first, types=())
    bus.add_listener(lambda e: order.append("second"))
    bus.publish(Tick(5, 0))
    assert order == ["second"]
    bus.retune(first, (Tick,))
    order.clear()
    bus.publish(Tick(5, 0))
    bus.publish(GroupAdded("g"))
    assert order == ["first", "second", "second"]


def test_events_caused_by_a_listener_follow_the_one_being_delivered() -> None:
    bus = EventBus()
    seen: list[DomainEvent] = []
    stopped = changed(S.STOPPED)

    def cause(event: DomainEvent) -> None:
        if event == Tick(5, 0):
            bus.publish(stopped)

    bus.add_listener(cause, types=(Tick,))
    bus.add_listener(seen.append, types=(Tick, ProcessStateChanged))
    bus.publish(Tick(5, 0))
    assert seen == [Tick(5, 0), stopped]


def test_a_listener_added_or_removed_during_delivery_counts_from_the_next_event() -> None:
    bus = EventBus()
    late: list[DomainEvent] = []
    removers: list[object] = []

    def add_late(event: DomainEvent) -> None:
        if not removers:
            removers.append(bus.add_listener(late.append, types=(Tick,)))

    bus.add_listener(add_late, types=(Tick,))
    bus.publish(Tick(5, 0))
    assert late == []
    bus.publish(Tick(5, 5))
    assert late == [Tick(5, 5)]


def test_a_failing_listener_is_reported_and_the_others_still_run() -> None:
    bus = EventBus()
    errors: list[str] = []
    bus.on_listener_error = errors.append
    seen: list[DomainEvent] = []

    def broken(event: DomainEvent) -> None:
        raise RuntimeError("boom")

    bus.add_listener(broken, types=(Tick,))
    bus.add_listener(seen.append, types=(Tick,))
    bus.publish(Tick(5, 0))
    assert seen == [Tick(5, 0)]
    assert len(errors) == 1 and "boom" in errors[0]
