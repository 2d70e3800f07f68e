"""The supervisord event-listener wire format: event names, payloads, envelope.

Both sides use this module: the daemon renders events into envelopes, and
listener helpers (``minder.childutils``) parse them back. It is the single
place where the byte layout lives, so the two sides cannot drift apart.

Standard library only (plus ``protocol.states``): listeners import it
without loading any of the server.

One deliberate difference from supervisord: the envelope's ``len`` counts
the payload's UTF-8 *bytes*. supervisord counts code points, which makes a
listener that reads bytes lose sync on non-ASCII payloads.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from minder.protocol.states import ProcessState
from minder.records import record

# --- event type names -----------------------------------------------------

EVENT_PARENTS: Mapping[str, str | None] = {
    "EVENT": None,
    "PROCESS_STATE": "EVENT",
    "PROCESS_STATE_STOPPED": "PROCESS_STATE",
    "PROCESS_STATE_EXITED": "PROCESS_STATE",
    "PROCESS_STATE_STARTING": "PROCESS_STATE",
    "PROCESS_STATE_STOPPING": "PROCESS_STATE",
    "PROCESS_STATE_BACKOFF": "PROCESS_STATE",
    "PROCESS_STATE_FATAL": "PROCESS_STATE",
    "PROCESS_STATE_RUNNING": "PROCESS_STATE",
    "PROCESS_STATE_UNKNOWN": "PROCESS_STATE",
    "PROCESS_COMMUNICATION": "EVENT",
    "PROCESS_COMMUNICATION_STDOUT": "PROCESS_COMMUNICATION",
    "PROCESS_COMMUNICATION_STDERR": "PROCESS_COMMUNICATION",
    "PROCESS_LOG": "EVENT",
    "PROCESS_LOG_STDOUT": "PROCESS_LOG",
    "PROCESS_LOG_STDERR": "PROCESS_LOG",
    "REMOTE_COMMUNICATION": "EVENT",
    "SUPERVISOR_STATE_CHANGE": "EVENT",
    "SUPERVISOR_STATE_CHANGE_RUNNING": "SUPERVISOR_STATE_CHANGE",
    "SUPERVISOR_STATE_CHANGE_STOPPING": "SUPERVISOR_STATE_CHANGE",
    "TICK": "EVENT",
    "TICK_5": "TICK",
    "TICK_60": "TICK",
    "TICK_3600": "TICK",
    "PROCESS_GROUP": "EVENT",
    "PROCESS_GROUP_ADDED": "PROCESS_GROUP",
    "PROCESS_GROUP_REMOVED": "PROCESS_GROUP",
}
"""Every event type of supervisord 4.3 and its parent type."""

EVENT_TYPES: frozenset[str] = frozenset(EVENT_PARENTS)
"""Names valid in ``[eventlistener:x] events=`` (after upper-casing)."""

ABSTRACT_EVENT_TYPES: frozenset[str] = frozenset(
    {"EVENT", "PROCESS_STATE", "PROCESS_COMMUNICATION", "PROCESS_LOG"}
    | {"SUPERVISOR_STATE_CHANGE", "TICK", "PROCESS_GROUP"}
)
"""Types that are only ever subscribed to, never sent themselves."""

TICK_PERIODS: tuple[int, ...] = (5, 60, 3600)


def lineage(name: str) -> tuple[str, ...]:
    """``name`` followed by its ancestors up to ``EVENT``; KeyError if unknown."""
    chain: list[str] = []
    current: str | None = name
    while current is not None:
        parent = EVENT_PARENTS[current]
        chain.append(current)
        current = parent
    return tuple(chain)


def is_subtype(name: str, ancestor: str) -> bool:
    """True when a subscriber to ``ancestor`` receives events named ``name``."""
    return ancestor in lineage(name)


def subscribes_to(subscriptions: Iterable[str], name: str) -> bool:
    """True when any of ``subscriptions`` covers the event type ``name``."""
    covering = lineage(name)
    return any(sub in covering for sub in subscriptions)


def process_state_event_name(state: ProcessState) -> str:
    return f"PROCESS_STATE_{state.name}"


# --- payloads -------------------------------------------------------------


def _tokens(pairs: Iterable[tuple[str, object]]) -> str:
    return " ".join(f"{key}:{value}" for key, value in pairs)


def decode_output(data: bytes) -> str:
    """Child output as supervisord puts it in a payload: UTF-8 or a repr."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return f"Undecodable: {data!r}"


def process_state_payload(
    *,
    processname: str,
    groupname: str,
    from_state: ProcessState,
    to_state: ProcessState,
    pid: int = 0,
    tries: int = 0,
    expected: bool = True,
) -> str:
    """``processname:X groupname:G from_state:S`` plus the extras of ``to_state``."""
    pairs: list[tuple[str, object]] = [
        ("processname", processname),
        ("groupname", groupname),
        ("from_state", from_state.name),
    ]
    if to_state in (ProcessState.STARTING, ProcessState.BACKOFF):
        pairs.append(("tries", tries))
    elif to_state == ProcessState.EXITED:
        pairs += [("expected", int(expected)), ("pid", pid)]
    elif to_state in (ProcessState.RUNNING, ProcessState.STOPPING, ProcessState.STOPPED):
        pairs.append(("pid", pid))
    return _tokens(pairs)


def process_log_payload(
    *, processname: str, groupname: str, pid: int, channel: str, data: bytes
) -> str:
    head = _tokens(
        [("processname", processname), ("groupname", groupname), ("pid", pid), ("channel", channel)]
    )
    return f"{head}\n{decode_output(data)}"


def process_communication_payload(
    *, processname: str, groupname: str, pid: int, data: bytes
) -> str:
    head = _tokens([("processname", processname), ("groupname", groupname), ("pid", pid)])
    return f"{head}\n{decode_output(data)}"


def remote_communication_payload(type_: str, data: str) -> str:
    return f"type:{type_}\n{data}"


def supervisor_state_payload() -> str:
    return ""


def tick_payload(when: int) -> str:
    return f"when:{when}"


def tick_when(now: float, period: int) -> int:
    """The tick time supervisord reports: ``now`` aligned down to the period."""
    return int(now - now % period)


def process_group_payload(group: str) -> str:
    """Note the trailing newline: supervisord's only token set that has one."""
    return f"groupname:{group}\n"


# --- the envelope ---------------------------------------------------------

PROTOCOL_VERSION = "3.0"


def envelope(
    *,
    server: str,
    serial: int,
    pool: str,
    poolserial: int,
    eventname: str,
    payload: str | bytes,
) -> bytes:
    """The header line plus payload written to a listener's stdin."""
    body = payload.encode("utf-8") if isinstance(payload, str) else payload
    header = _tokens(
        [
            ("ver", PROTOCOL_VERSION),
            ("server", server),
            ("serial", serial),
            ("pool", pool),
            ("poolserial", poolserial),
            ("eventname", eventname),
            ("len", len(body)),
        ]
    )
    return header.encode("utf-8") + b"\n" + body


def parse_tokens(line: str) -> dict[str, str]:
    """``key:value key:value`` into a dict (values may contain ``:``)."""
    out: dict[str, str] = {}
    for token in line.split():
        key, sep, value = token.partition(":")
        if not sep:
            raise ValueError(f"token without ':' in {line!r}")
        out[key] = value
    return out


@record
class EnvelopeHeader:
    """A parsed envelope header line, as a listener sees it."""

    ver: str
    server: str
    serial: int
    pool: str
    poolserial: int
    eventname: str
    len: int

    @classmethod
    def parse(cls, line: str | bytes) -> EnvelopeHeader:
        text = line.decode("utf-8") if isinstance(line, bytes) else line
        t = parse_tokens(text)
        return cls(
            ver=t["ver"],
            server=t["server"],
            serial=int(t["serial"]),
            pool=t["pool"],
            poolserial=int(t["poolserial"]),
            eventname=t["eventname"],
            len=int(t["len"]),
        )


def split_payload(payload: str) -> tuple[dict[str, str], str]:
    """A payload with a token line and data (PROCESS_LOG, ...) into both parts."""
    head, _, data = payload.partition("\n")
    return parse_tokens(head), data


# --- listener -> daemon ---------------------------------------------------

READY_TOKEN = b"READY\n"
RESULT_PREFIX = b"RESULT "
RESULT_OK = b"OK"
RESULT_FAIL = b"FAIL"


def result_message(body: bytes) -> bytes:
    """``RESULT <len>\\n<body>`` with ``len`` in bytes."""
    return RESULT_PREFIX + str(len(body)).encode("ascii") + b"\n" + body


def parse_result_line(line: bytes) -> int:
    """The body length of a ``RESULT <len>`` line (without its newline).

    Like supervisord, the first seven bytes are taken as the prefix without
    being compared; what follows must be a non-negative integer, else
    ValueError.
    """
    length = int(line[len(RESULT_PREFIX) :])
    if length < 0:
        raise ValueError(f"negative result length in {line!r}")
    return length


# --- capture mode (child output -> PROCESS_COMMUNICATION) -----------------

CAPTURE_BEGIN = b"<!--XSUPERVISOR:BEGIN-->"
CAPTURE_END = b"<!--XSUPERVISOR:END-->"
