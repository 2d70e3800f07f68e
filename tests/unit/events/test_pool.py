"""The listener protocol state machine of a pool, fed canned listener output.

The pool is real; the listener processes are stand-ins that record what the
pool wrote to their stdin (the engine's side of ListenerHandle).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from minder.engine.events.pool import MAX_RESULT_BODY, MAX_RESULT_LINE, ListenerPool, PoolEvent
from minder.engine.events.render import RenderedEvent
from minder.engine.events.results import RejectEvent, default_handler
from minder.protocol.events import EnvelopeHeader
from minder.protocol.states import ListenerState as LS


@dataclass
class RecordingLog:
    lines: list[tuple[str, str]] = field(default_factory=list)

    def debug(self, msg: str) -> None:
        self.lines.append(("DEBG", msg))

    def warning(self, msg: str) -> None:
        self.lines.append(("WARN", msg))

    def error(self, msg: str) -> None:
        self.lines.append(("ERRO", msg))

    def messages(self, level: str) -> list[str]:
        return [m for lv, m in self.lines if lv == level]


@dataclass
class FakeListener:
    running: bool = True
    stdin_open: bool = True
    sent: list[bytes] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)

    def is_running(self) -> bool:
        return self.running

    def send(self, data: bytes) -> bool:
        if self.stdin_open:
            self.sent.append(data)
        return self.stdin_open

    def restart(self, reason: str) -> None:
        self.restarts.append(reason)

    def serials(self) -> list[int]:
        return [EnvelopeHeader.parse(d.split(b"\n", 1)[0]).serial for d in self.sent]


def make_pool(names: tuple[str, ...] = ("l0",), buffer_size: int = 10, handler=default_handler):
    log = RecordingLog()
    pool = ListenerPool(
        "pool", events=("PROCESS_STATE", "TICK_5"), buffer_size=buffer_size,
        process_names=names, server="sup", handler=handler, log=log,
    )
    return pool, log


def tick(pool: ListenerPool, serial: int) -> None:
    pool.accept(serial, RenderedEvent("TICK_5", f"when:{serial}".encode()))


def test_listener_gets_nothing_until_ready_then_exact_envelope() -> None:
    pool, _ = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 7)
    assert fake.sent == [] and pool.listener_state("l0") == LS.ACKNOWLEDGED
    pool.feed("l0", b"READY\n")
    assert fake.sent == [
        b"ver:3.0 server:sup serial:7 pool:pool poolserial:0 eventname:TICK_5 len:6\nwhen:7"
    ]
    assert pool.listener_state("l0") == LS.BUSY


def test_ok_result_acknowledges_and_next_ready_gets_next_event_even_in_one_read() -> None:
    pool, log = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    tick(pool, 2)
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT 2\nOKREADY\n")
    assert fake.serials() == [1, 2]
    assert "l0: event was processed" in log.messages("DEBG")
    assert pool.listener_state("l0") == LS.BUSY


def test_result_split_across_many_reads() -> None:
    pool, _ = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    for byte in b"READY\nRESULT 2\nOK":
        pool.feed("l0", bytes([byte]))
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED
    assert not pool.buffer


def test_rejected_event_goes_back_to_the_head_of_the_buffer() -> None:
    pool, log = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    tick(pool, 2)
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT 4\nFAIL")
    assert "l0: event was rejected" in log.messages("WARN")
    assert [e.serial for e in pool.buffer] == [1, 2]
    pool.feed("l0", b"READY\n")
    assert fake.serials() == [1, 1]


def test_not_running_listener_gets_no_events_first_ready_running_one_does() -> None:
    pool, _ = make_pool(("a", "b"))
    a, b = FakeListener(running=False), FakeListener()
    pool.attach("a", a)
    pool.attach("b", b)
    pool.feed("a", b"READY\n")
    pool.feed("b", b"READY\n")
    tick(pool, 1)
    assert a.sent == [] and b.serials() == [1]
    a.running = True
    pool.dispatch()  # the router calls this when a listener enters RUNNING
    tick(pool, 2)
    assert a.serials() == [2]


def test_dispatch_prefers_the_first_listener_in_config_order() -> None:
    pool, _ = make_pool(("a", "b"))
    a, b = FakeListener(), FakeListener()
    pool.attach("b", b)
    pool.attach("a", a)
    pool.feed("b", b"READY\n")
    pool.feed("a", b"READY\n")
    tick(pool, 1)
    assert a.serials() == [1] and b.sent == []


def test_closed_stdin_falls_through_to_the_next_listener() -> None:
    pool, _ = make_pool(("a", "b"))
    a, b = FakeListener(stdin_open=False), FakeListener()
    for name, fake in (("a", a), ("b", b)):
        pool.attach(name, fake)
        pool.feed(name, b"READY\n")
    tick(pool, 1)
    assert b.serials() == [1]
    assert pool.listener_state("a") == LS.READY


@pytest.mark.parametrize(
    "output",
    [b"hello world\n", b"READY\nspurious", b"READY\n", b"RESULT x\n"],
)
def test_protocol_violation_enters_unknown_rebuffers_and_restarts(output: bytes) -> None:
    pool, log = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    if output == b"READY\n":
        pool.feed("l0", output)
        pool.feed("l0", b"junk")  # output while READY, no event pending
    else:
        if output.startswith(b"RESULT"):
            tick(pool, 1)
            pool.feed("l0", b"READY\n")
        pool.feed("l0", output)
    assert pool.listener_state("l0") == LS.UNKNOWN
    assert any("has entered the UNKNOWN state" in m for m in log.messages("WARN"))
    assert fake.restarts
    if output.startswith(b"RESULT"):
        assert "l0: bad result line: 'RESULT x'" in log.messages("WARN")
        assert [e.serial for e in pool.buffer] == [1]
    pool.feed("l0", b"READY\n")  # ignored until the listener is respawned
    assert pool.listener_state("l0") == LS.UNKNOWN
    pool.attach("l0", FakeListener())
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED


def test_partial_ready_waits_for_six_bytes() -> None:
    pool, _ = make_pool()
    pool.attach("l0", FakeListener())
    pool.feed("l0", b"REA")
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED
    pool.feed("l0", b"DY\n")
    assert pool.listener_state("l0") == LS.READY


def test_death_while_busy_rebuffers_the_event() -> None:
    pool, _ = make_pool()
    first = FakeListener()
    pool.attach("l0", first)
    tick(pool, 1)
    pool.feed("l0", b"READY\n")
    pool.detach("l0")
    assert [e.serial for e in pool.buffer] == [1]
    again = FakeListener()
    pool.attach("l0", again)
    pool.feed("l0", b"READY\n")
    assert again.serials() == [1]


def test_overflow_drops_the_oldest_counts_and_logs_it() -> None:
    pool, log = make_pool(buffer_size=3)
    for serial in range(5):
        tick(pool, serial)
    assert [e.serial for e in pool.buffer] == [2, 3, 4]
    assert [e.poolserial for e in pool.buffer] == [2, 3, 4]
    assert pool.dropped == 2
    assert log.messages("ERRO") == [
        "pool pool event buffer overflowed, discarding event 0",
        "pool pool event buffer overflowed, discarding event 1",
    ]


def test_result_handler_errors_are_protocol_errors_and_reject_event_rejects() -> None:
    seen: list[tuple[PoolEvent, bytes]] = []

    def handler(event: PoolEvent, body: bytes) -> None:
        seen.append((event, body))
        if body == b"no":
            raise RejectEvent(body)
        if body == b"boom":
            raise RuntimeError("bug in handler")

    pool, log = make_pool(handler=handler)
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT 2\nno")
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED
    assert seen[0][0].payload() == "when:1" and seen[0][0].name == "TICK_5"
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT 4\nboom")
    assert "l0: event caused an error" in log.messages("WARN")
    assert pool.listener_state("l0") == LS.UNKNOWN
    assert [e.serial for e in pool.buffer] == [1]


def test_zero_length_result_is_handled_at_once() -> None:
    calls: list[bytes] = []
    pool, _ = make_pool(handler=lambda event, body: calls.append(body))
    pool.attach("l0", FakeListener())
    tick(pool, 1)
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT 0\n")
    assert calls == [b""]
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED


@pytest.mark.parametrize(
    "flood",
    [b"RESULT " + b"1" * 2000, b"RESULT %d\n" % (MAX_RESULT_BODY + 1) + b"x" * 4096],
    ids=["endless-result-line", "huge-result-body"],
)
def test_a_flooding_listener_is_cut_off_restarted_counted_and_logged(flood: bytes) -> None:
    pool, log = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    pool.feed("l0", b"READY\n")
    for _ in range(50):
        pool.feed("l0", flood)
    slot = pool.slots["l0"]
    assert len(slot.pending) + len(slot.result) <= MAX_RESULT_LINE + len(flood)
    assert pool.listener_state("l0") == LS.UNKNOWN
    assert len(fake.restarts) == 1 and pool.overruns == 1
    assert [e.serial for e in pool.buffer] == [1]  # the event is kept for the next listener
    assert any("restarting it (1 overruns" in m for m in log.messages("ERRO"))


def test_a_result_at_the_bound_is_still_accepted() -> None:
    pool, _ = make_pool()
    fake = FakeListener()
    pool.attach("l0", fake)
    tick(pool, 1)
    pool.feed("l0", b"READY\n")
    pool.feed("l0", b"RESULT %d\n" % MAX_RESULT_BODY + b"OK" + b" " * (MAX_RESULT_BODY - 2))
    assert pool.listener_state("l0") == LS.ACKNOWLEDGED
    assert pool.overruns == 0 and not fake.restarts
