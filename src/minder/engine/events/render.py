"""Domain events -> (supervisord event name, payload bytes).

The bus carries plain domain events; listeners speak supervisord's wire
format. This module is the only translation between the two, so every
payload byte a listener can see is decided here (and in protocol.events).
"""

from __future__ import annotations

from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    ProcessCommunication,
    ProcessLogChunk,
    ProcessStateChanged,
    RemoteCommunication,
    SupervisorStateChanged,
    Tick,
)
from minder.protocol import events as wire
from minder.protocol.states import SupervisorState
from minder.records import record


@record
class RenderedEvent:
    """An event ready for the wire; ``serial`` is assigned later, by a pool."""

    name: str
    payload: bytes


def render(event: DomainEvent) -> RenderedEvent | None:
    """The wire form of ``event``, or None if listeners never see it."""
    text = _payload(event)
    if text is None:
        return None
    name, payload = text
    return RenderedEvent(name, payload.encode("utf-8"))


def _payload(event: DomainEvent) -> tuple[str, str] | None:
    match event:
        case ProcessStateChanged():
            return wire.process_state_event_name(event.to_state), wire.process_state_payload(
                processname=event.name,
                groupname=event.group,
                from_state=event.from_state,
                to_state=event.to_state,
                pid=event.pid,
                tries=event.tries,
                expected=event.expected,
            )
        case ProcessLogChunk():
            return f"PROCESS_LOG_{event.channel.upper()}", wire.process_log_payload(
                processname=event.name,
                groupname=event.group,
                pid=event.pid,
                channel=event.channel,
                data=event.data,
            )
        case ProcessCommunication():
            name = f"PROCESS_COMMUNICATION_{event.channel.upper()}"
            return name, wire.process_communication_payload(
                processname=event.name, groupname=event.group, pid=event.pid, data=event.data
            )
        case GroupAdded():
            return "PROCESS_GROUP_ADDED", wire.process_group_payload(event.group)
        case GroupRemoved():
            return "PROCESS_GROUP_REMOVED", wire.process_group_payload(event.group)
        case SupervisorStateChanged():
            if event.state == SupervisorState.RUNNING:
                return "SUPERVISOR_STATE_CHANGE_RUNNING", wire.supervisor_state_payload()
            if event.state in (SupervisorState.SHUTDOWN, SupervisorState.RESTARTING):
                return "SUPERVISOR_STATE_CHANGE_STOPPING", wire.supervisor_state_payload()
            return None
        case Tick():
            return f"TICK_{event.period}", wire.tick_payload(event.when)
        case RemoteCommunication():
            return "REMOTE_COMMUNICATION", wire.remote_communication_payload(
                event.type, event.data
            )
    return None
