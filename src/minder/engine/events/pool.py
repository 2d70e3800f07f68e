"""One [eventlistener:x] pool: buffer, serials and the listener protocol.

The pool is plain synchronous code driven by the engine: it is told about
events (``accept``), about listener output (``feed``) and about listener
spawns and exits (``attach`` / ``detach``), and it answers by writing
envelopes through a non-blocking ``ListenerHandle``. It never awaits, so a
listener that sleeps, floods or dies can never stall supervision.

Protocol (supervisord 4.3, dispatchers.py): a fresh listener is
ACKNOWLEDGED; ``READY\\n`` makes it READY; the oldest buffered event goes to
the first RUNNING+READY listener in config order, which becomes BUSY until
``RESULT <len>\\n<body>``. A rejected event goes back to the head of the
buffer. A listener that breaks the protocol enters UNKNOWN, its event is
re-buffered, and (unlike supervisord, which leaves it deaf until someone
restarts it) it is restarted.

What the daemon keeps of a listener's output is bounded: a ``RESULT``
line longer than ``MAX_RESULT_LINE`` or announcing a body over
``MAX_RESULT_BODY`` is an overrun. supervisord (and minder before) buffered
whatever a listener wrote, so a listener running as any user could grow
the root daemon without limit. An overrun is handled as a protocol
violation (the listener is restarted and its event re-buffered), logged as
an error, and counted in ``overruns``.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import field
from typing import Protocol

from minder.engine.events.render import RenderedEvent
from minder.engine.events.results import ResultHandler, is_rejection
from minder.protocol import events as wire
from minder.protocol.states import ListenerState
from minder.records import mutable_record

MAXINT = 2**63 - 1
MAX_RESULT_LINE = 1024  # "RESULT <len>\n" is a dozen bytes
MAX_RESULT_BODY = 1024 * 1024  # results are "OK" or "FAIL"; room for anything sensible


def next_serial(current: int) -> int:
    """supervisord's serial counter: starts at 0, wraps at maxint."""
    return 0 if current >= MAXINT else current + 1


class PoolLog(Protocol):
    """The main log, as the pool needs it (``logging.Logger`` fits)."""

    def debug(self, msg: str) -> None: ...

    def warning(self, msg: str) -> None: ...

    def error(self, msg: str) -> None: ...


class ListenerHandle(Protocol):
    """One listener process, as seen by its pool."""

    def is_running(self) -> bool:
        """True in process state RUNNING (events wait for startsecs)."""
        ...

    def send(self, data: bytes) -> bool:
        """Queue ``data`` for the listener's stdin without blocking.

        False when stdin is closed (the pool then tries the next listener).
        """
        ...

    def restart(self, reason: str) -> None:
        """Schedule a restart; must return at once."""
        ...


@mutable_record
class PoolEvent:
    """An event accepted by one pool; result handlers receive it."""

    serial: int
    poolserial: int
    name: str
    body: bytes

    def payload(self) -> str:
        """The payload as text, like supervisord event objects offer."""
        return self.body.decode("utf-8", "replace")


@mutable_record
class ListenerSlot:
    """Protocol state of one listener process of the pool."""

    name: str
    handle: ListenerHandle | None = None
    state: ListenerState = ListenerState.ACKNOWLEDGED
    event: PoolEvent | None = None
    pending: bytearray = field(default_factory=bytearray)
    result_len: int | None = None
    result: bytearray = field(default_factory=bytearray)

    def reset(self, handle: ListenerHandle | None) -> None:
        self.handle = handle
        self.state = ListenerState.ACKNOWLEDGED
        self.event = None
        self.pending.clear()
        self.result_len = None
        self.result.clear()


class ListenerPool:
    def __init__(
        self,
        name: str,
        *,
        events: Sequence[str],
        buffer_size: int,
        process_names: Sequence[str],
        server: str,
        handler: ResultHandler,
        log: PoolLog,
    ) -> None:
        self.name = name
        self.events = tuple(events)
        self.buffer_size = max(1, buffer_size)
        self.server = server
        self.handler = handler
        self.log = log
        self.slots = {n: ListenerSlot(n) for n in process_names}
        self.buffer: deque[PoolEvent] = deque()
        self.poolserial = -1
        self.dropped = 0  # events discarded on buffer overflow (supervisord: silent)
        self.overruns = 0  # listeners restarted for writing more than the bounds allow

    # --- events in --------------------------------------------------------
    def wants(self, eventname: str) -> bool:
        return wire.subscribes_to(self.events, eventname)

    def accept(self, serial: int, event: RenderedEvent) -> None:
        """Buffer an event the router has already matched and numbered."""
        self.poolserial = next_serial(self.poolserial)
        self._buffer(PoolEvent(serial, self.poolserial, event.name, event.payload), head=False)
        self.dispatch()

    def _buffer(self, event: PoolEvent, *, head: bool) -> None:
        if head:
            self.log.debug(
                f"rebuffering event {event.serial} for pool {self.name} "
                f"(buf size={len(self.buffer)}, max={self.buffer_size})"
            )
        if len(self.buffer) >= self.buffer_size:
            dropped = self.buffer.popleft()
            self.dropped += 1
            self.log.error(
                f"pool {self.name} event buffer overflowed, discarding event {dropped.serial}"
            )
        if head:
            self.buffer.appendleft(event)
        else:
            self.buffer.append(event)

    # --- listener processes ----------------------------------------------
    def attach(self, process: str, handle: ListenerHandle) -> None:
        """A listener was spawned: it starts ACKNOWLEDGED, with fresh buffers."""
        slot = self.slots.setdefault(process, ListenerSlot(process))
        self._give_back(slot)
        slot.reset(handle)

    def detach(self, process: str) -> None:
        """A listener exited: an event it was busy with goes back to the buffer."""
        slot = self.slots.get(process)
        if slot is None:
            return
        self._give_back(slot)
        slot.reset(None)
        self.dispatch()

    def listener_state(self, process: str) -> ListenerState | None:
        slot = self.slots.get(process)
        return None if slot is None else slot.state

    def _give_back(self, slot: ListenerSlot) -> None:
        if slot.event is not None:
            event, slot.event = slot.event, None
            self._buffer(event, head=True)

    # --- dispatch ---------------------------------------------------------
    def dispatch(self) -> None:
        """Send buffered events, oldest first, while a listener is free."""
        while self.buffer:
            event = self.buffer[0]
            if not self._send(event):
                return
            self.buffer.popleft()

    def _send(self, event: PoolEvent) -> bool:
        for slot in self.slots.values():
            handle = slot.handle
            if handle is None or slot.state != ListenerState.READY or not handle.is_running():
                continue
            data = wire.envelope(
                server=self.server,
                serial=event.serial,
                pool=self.name,
                poolserial=event.poolserial,
                eventname=event.name,
                payload=event.body,
            )
            if not handle.send(data):
                self.log.debug(
                    f"epipe occurred while sending event {event.serial} to listener "
                    f"{slot.name}, listener state unchanged"
                )
                continue
            slot.event = event
            self._change(slot, ListenerState.BUSY)
            self.log.debug(f"event {event.serial} sent to listener {slot.name}")
            return True
        return False

    # --- listener output --------------------------------------------------
    def feed(self, process: str, data: bytes) -> None:
        """Bytes the listener wrote to stdout (its protocol channel)."""
        slot = self.slots.get(process)
        if slot is None or not data:
            return
        slot.pending += data
        self._advance(slot)
        self.dispatch()

    def _advance(self, slot: ListenerSlot) -> None:
        while slot.pending:
            if slot.state == ListenerState.UNKNOWN:
                slot.pending.clear()
                return
            if slot.state == ListenerState.ACKNOWLEDGED:
                if len(slot.pending) < len(wire.READY_TOKEN):
                    return
                if not slot.pending.startswith(wire.READY_TOKEN):
                    self._violation(slot)
                    return
                del slot.pending[: len(wire.READY_TOKEN)]
                self._change(slot, ListenerState.READY)
            elif slot.state == ListenerState.READY:
                self._violation(slot)  # spurious output while waiting for an event
                return
            elif not self._advance_result(slot):
                return

    def _advance_result(self, slot: ListenerSlot) -> bool:
        """Consume RESULT bytes of a BUSY listener; False when more are needed."""
        if slot.result_len is None:
            newline = slot.pending.find(b"\n")
            if newline < 0:
                if len(slot.pending) > MAX_RESULT_LINE:
                    self._overrun(slot, f"a RESULT line longer than {MAX_RESULT_LINE} bytes")
                return False
            line = bytes(slot.pending[:newline])
            del slot.pending[: newline + 1]
            try:
                slot.result_len = wire.parse_result_line(line)
            except ValueError:
                self.log.warning(f"{slot.name}: bad result line: '{wire.decode_output(line)}'")
                self._violation(slot)
                return False
            if slot.result_len > MAX_RESULT_BODY:
                self._overrun(
                    slot, f"a result of {slot.result_len} bytes (at most {MAX_RESULT_BODY})"
                )
                return False
        needed = slot.result_len - len(slot.result)
        slot.result += slot.pending[:needed]
        del slot.pending[:needed]
        if len(slot.result) < slot.result_len:
            return False
        body = bytes(slot.result)
        slot.result.clear()
        slot.result_len = None
        self._handle_result(slot, body)
        return True

    def _handle_result(self, slot: ListenerSlot, body: bytes) -> None:
        event, slot.event = slot.event, None
        try:
            self.handler(event, body)
        except Exception as exc:
            if not is_rejection(exc):
                self.log.warning(f"{slot.name}: event caused an error")
                slot.event = event
                self._violation(slot)
                return
            self.log.warning(f"{slot.name}: event was rejected")
            self._change(slot, ListenerState.ACKNOWLEDGED)
            if event is not None:
                self._buffer(event, head=True)
            return
        self.log.debug(f"{slot.name}: event was processed")
        self._change(slot, ListenerState.ACKNOWLEDGED)

    def _overrun(self, slot: ListenerSlot, what: str) -> None:
        self.overruns += 1
        self.log.error(
            f"pool {self.name}: listener {slot.name} sent {what}; restarting it "
            f"({self.overruns} overruns in this pool so far)"
        )
        self._violation(slot)

    def _violation(self, slot: ListenerSlot) -> None:
        self._change(slot, ListenerState.UNKNOWN)
        slot.pending.clear()
        slot.result_len = None
        slot.result.clear()
        self._give_back(slot)
        if slot.handle is not None:
            slot.handle.restart("it violated the eventlistener protocol")

    def _change(self, slot: ListenerSlot, new: ListenerState) -> None:
        self.log.debug(f"{slot.name}: {slot.state.name} -> {new.name}")
        slot.state = new
        if new == ListenerState.UNKNOWN:
            self.log.warning(
                f"{slot.name}: has entered the UNKNOWN state and will no longer receive "
                "events, this usually indicates the process violated the eventlistener "
                "protocol"
            )
