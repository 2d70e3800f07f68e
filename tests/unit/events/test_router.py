"""Routing domain events to pools: serials, listener lifecycle, log filtering."""

from __future__ import annotations

import pytest

from minder.engine.events.results import (
    DEFAULT_RESULT_HANDLER,
    default_handler,
    load_result_handler,
)
from minder.engine.events.router import EventRouter
from minder.model.events import GroupAdded, ProcessLogChunk, ProcessStateChanged, Tick
from minder.model.specs import GroupKind, GroupSpec, ListenerPoolSpec, ProcessSpec
from minder.protocol.events import EnvelopeHeader
from minder.protocol.states import ListenerState as LS
from minder.protocol.states import ProcessState as PS

from .test_pool import FakeListener, RecordingLog


def pool_spec(name: str, events: tuple[str, ...], procs: tuple[str, ...] = ("l0",)) -> GroupSpec:
    return GroupSpec(
        name, GroupKind.EVENTLISTENER, priority=-1,
        processes=tuple(ProcessSpec(p, name, "x") for p in procs),
        listener=ListenerPoolSpec(events),
    )


class Harness:
    def __init__(self, enabled: set[tuple[str, str, str]] | None = None) -> None:
        self.log = RecordingLog()
        self.handles: dict[tuple[str, str], FakeListener] = {}
        self.enabled = enabled or set()
        self.router = EventRouter(
            server="srv", log=self.log, handle_factory=self._handle,
            log_events_enabled=lambda g, n, c: (g, n, c) in self.enabled,
        )

    def _handle(self, group: str, name: str) -> FakeListener:
        handle = FakeListener(running=False)
        self.handles[(group, name)] = handle
        return handle

    def state(self, group: str, name: str, frm: PS, to: PS, pid: int = 1) -> None:
        self.router.on_event(ProcessStateChanged(group, name, frm, to, pid, 0, True, 0.0))

    def start_listener(self, group: str, name: str = "l0") -> FakeListener:
        self.state(group, name, PS.STOPPED, PS.STARTING)
        handle = self.handles[(group, name)]
        self.router.pools[group].feed(name, b"READY\n")
        handle.running = True
        self.state(group, name, PS.STARTING, PS.RUNNING)
        return handle


def headers(handle: FakeListener) -> list[EnvelopeHeader]:
    return [EnvelopeHeader.parse(d.split(b"\n", 1)[0]) for d in handle.sent]


def test_serial_is_global_and_taken_only_when_a_pool_accepts() -> None:
    h = Harness()
    h.router.add_pool(pool_spec("ticks", ("TICK_5",)))
    h.router.add_pool(pool_spec("groups", ("PROCESS_GROUP",)))
    h.router.on_event(Tick(60, 60))  # nobody wants TICK_60: no serial used
    h.router.on_event(Tick(5, 5))
    h.router.on_event(GroupAdded("x"))
    h.router.on_event(Tick(5, 10))
    assert [(e.serial, e.poolserial) for e in h.router.pools["ticks"].buffer] == [(0, 0), (2, 1)]
    assert [(e.serial, e.poolserial) for e in h.router.pools["groups"].buffer] == [(1, 0)]


def test_listener_spawn_resets_state_and_running_dispatches_buffer() -> None:
    h = Harness()
    h.router.add_pool(pool_spec("ticks", ("TICK_5",)))
    h.router.on_event(Tick(5, 5))
    h.state("ticks", "l0", PS.STOPPED, PS.STARTING)
    handle = h.handles[("ticks", "l0")]
    h.router.pools["ticks"].feed("l0", b"READY\n")
    assert handle.sent == []  # READY, but not RUNNING yet (startsecs)
    handle.running = True
    h.state("ticks", "l0", PS.STARTING, PS.RUNNING)
    assert [x.eventname for x in headers(handle)] == ["TICK_5"]
    # dies while BUSY: the event goes back, a new spawn gets it again
    h.state("ticks", "l0", PS.RUNNING, PS.EXITED)
    assert h.router.pools["ticks"].listener_state("l0") == LS.ACKNOWLEDGED
    again = h.start_listener("ticks")
    assert [x.serial for x in headers(again)] == [0]


def test_a_pool_sees_state_changes_of_its_own_listeners() -> None:
    h = Harness()
    h.router.add_pool(pool_spec("watch", ("PROCESS_STATE_RUNNING",)))
    handle = h.start_listener("watch")
    assert [x.eventname for x in headers(handle)] == ["PROCESS_STATE_RUNNING"]
    assert handle.sent[0].endswith(b"processname:l0 groupname:watch from_state:STARTING pid:1")


def test_process_log_events_only_for_channels_with_events_enabled() -> None:
    h = Harness(enabled={("app", "app", "stderr")})
    h.router.add_pool(pool_spec("logs", ("PROCESS_LOG",)))
    h.router.on_event(ProcessLogChunk("app", "app", "stdout", 5, b"quiet"))
    h.router.on_event(ProcessLogChunk("app", "app", "stderr", 5, b"loud"))
    assert [e.name for e in h.router.pools["logs"].buffer] == ["PROCESS_LOG_STDERR"]


def test_overflow_is_counted_through_the_router() -> None:
    h = Harness()
    h.router.add_pool(GroupSpec(
        "t", GroupKind.EVENTLISTENER, processes=(ProcessSpec("l0", "t", "x"),),
        listener=ListenerPoolSpec(("TICK",), buffer_size=2),
    ))
    for when in range(5):
        h.router.on_event(Tick(5, when))
    assert h.router.dropped == 3
    h.router.remove_pool("t")
    assert h.router.dropped == 0


def test_routing_errors_are_logged_not_raised() -> None:
    h = Harness()
    h.router.add_pool(pool_spec("p", ("PROCESS_LOG",)))
    h.router._log_events_enabled = lambda g, n, c: bool(1 / 0)
    h.router.on_event(ProcessLogChunk("a", "a", "stdout", 1, b"x"))
    assert any("event routing failed" in m for m in h.log.messages("ERRO"))


def test_result_handler_loading() -> None:
    assert load_result_handler(DEFAULT_RESULT_HANDLER) is default_handler
    assert load_result_handler("json:dumps") is __import__("json").dumps
    assert load_result_handler("os:path.join") is __import__("os").path.join
    for bad in ("nocolon", "json:", "json:nope"):
        with pytest.raises((ValueError, AttributeError)):
            load_result_handler(bad)
    with pytest.raises(ValueError):
        h = Harness()
        h.router.add_pool(GroupSpec("plain", GroupKind.PROGRAM))


def test_upstream_reject_event_is_recognised() -> None:
    dispatchers = pytest.importorskip("supervisor.dispatchers")
    from minder.engine.events.results import is_rejection

    assert is_rejection(dispatchers.RejectEvent(b"x"))
    assert not is_rejection(RuntimeError())
