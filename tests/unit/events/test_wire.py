"""Exact bytes of every payload and of the envelope (reference §6.1, §6.2)."""

from __future__ import annotations

import pytest

from minder.engine.events.render import RenderedEvent, render
from minder.model.events import (
    GroupAdded,
    GroupRemoved,
    MainLogLine,
    ProcessCommunication,
    ProcessLogChunk,
    ProcessStateChanged,
    RemoteCommunication,
    SupervisorStateChanged,
    Tick,
)
from minder.protocol import events as wire
from minder.protocol.states import ProcessState as PS
from minder.protocol.states import SupervisorState


def state(frm: PS, to: PS, *, pid: int = 0, tries: int = 0, expected: bool = True) -> bytes:
    rendered = render(ProcessStateChanged("grp", "proc", frm, to, pid, tries, expected, 0.0))
    assert rendered is not None
    assert rendered.name == f"PROCESS_STATE_{to.name}"
    return rendered.payload


def test_process_state_payloads_carry_exactly_the_extras_of_each_state() -> None:
    head = b"processname:proc groupname:grp from_state:"
    assert state(PS.STOPPED, PS.STARTING, tries=0) == head + b"STOPPED tries:0"
    assert state(PS.STARTING, PS.RUNNING, pid=42) == head + b"STARTING pid:42"
    assert state(PS.STARTING, PS.BACKOFF, tries=2) == head + b"STARTING tries:2"
    assert state(PS.RUNNING, PS.STOPPING, pid=42) == head + b"RUNNING pid:42"
    assert state(PS.RUNNING, PS.EXITED, pid=42, expected=False) == (
        head + b"RUNNING expected:0 pid:42"
    )
    assert state(PS.RUNNING, PS.EXITED, pid=7, expected=True) == head + b"RUNNING expected:1 pid:7"
    assert state(PS.STOPPING, PS.STOPPED, pid=42) == head + b"STOPPING pid:42"
    assert state(PS.BACKOFF, PS.STOPPED, pid=0) == head + b"BACKOFF pid:0"
    assert state(PS.BACKOFF, PS.FATAL) == head + b"BACKOFF"
    assert state(PS.RUNNING, PS.UNKNOWN) == head + b"RUNNING"


def test_process_log_payload_decodes_utf8_and_reprs_undecodable_bytes() -> None:
    ok = render(ProcessLogChunk("g", "p", "stdout", 9, "héllo\n".encode()))
    assert ok == RenderedEvent(
        "PROCESS_LOG_STDOUT", "processname:p groupname:g pid:9 channel:stdout\nhéllo\n".encode()
    )
    bad = render(ProcessLogChunk("g", "p", "stderr", 9, b"\xff\x00"))
    assert bad == RenderedEvent(
        "PROCESS_LOG_STDERR",
        b"processname:p groupname:g pid:9 channel:stderr\nUndecodable: b'\\xff\\x00'",
    )


def test_process_communication_payload() -> None:
    out = render(ProcessCommunication("g", "p", "stdout", 3, b"hi there"))
    assert out == RenderedEvent(
        "PROCESS_COMMUNICATION_STDOUT", b"processname:p groupname:g pid:3\nhi there"
    )
    err = render(ProcessCommunication("g", "p", "stderr", 3, b""))
    assert err == RenderedEvent(
        "PROCESS_COMMUNICATION_STDERR", b"processname:p groupname:g pid:3\n"
    )


def test_group_payloads_end_with_a_newline() -> None:
    assert render(GroupAdded("web")) == RenderedEvent("PROCESS_GROUP_ADDED", b"groupname:web\n")
    assert render(GroupRemoved("web")) == RenderedEvent(
        "PROCESS_GROUP_REMOVED", b"groupname:web\n"
    )


def test_supervisor_state_tick_and_remote_payloads() -> None:
    assert render(SupervisorStateChanged(SupervisorState.RUNNING)) == RenderedEvent(
        "SUPERVISOR_STATE_CHANGE_RUNNING", b""
    )
    for stopping in (SupervisorState.SHUTDOWN, SupervisorState.RESTARTING):
        assert render(SupervisorStateChanged(stopping)) == RenderedEvent(
            "SUPERVISOR_STATE_CHANGE_STOPPING", b""
        )
    assert render(SupervisorStateChanged(SupervisorState.FATAL)) is None
    assert render(Tick(60, 1_700_000_040)) == RenderedEvent("TICK_60", b"when:1700000040")
    assert render(RemoteCommunication("mytype", "some\ndata")) == RenderedEvent(
        "REMOTE_COMMUNICATION", b"type:mytype\nsome\ndata"
    )
    assert render(MainLogLine(b"x")) is None


def test_tick_when_is_aligned_down_to_the_period() -> None:
    assert wire.tick_when(1_700_000_047.9, 5) == 1_700_000_045
    assert wire.tick_when(1_700_000_047.9, 60) == 1_700_000_040
    assert wire.tick_when(1_700_000_047.9, 3600) == 1_699_999_200


def test_envelope_has_fixed_token_order_and_len_in_bytes() -> None:
    data = wire.envelope(
        server="supervisor",
        serial=3,
        pool="listener",
        poolserial=1,
        eventname="PROCESS_LOG_STDOUT",
        payload="héllo wörld\n",
    )
    body = "héllo wörld\n".encode()
    assert data == (
        b"ver:3.0 server:supervisor serial:3 pool:listener poolserial:1 "
        b"eventname:PROCESS_LOG_STDOUT len:14\n" + body
    )
    header = wire.EnvelopeHeader.parse(data.split(b"\n", 1)[0])
    assert header == wire.EnvelopeHeader("3.0", "supervisor", 3, "listener", 1,
                                         "PROCESS_LOG_STDOUT", len(body))


def test_empty_payload_envelope() -> None:
    assert wire.envelope(
        server="s", serial=0, pool="p", poolserial=0,
        eventname="SUPERVISOR_STATE_CHANGE_RUNNING", payload=b"",
    ) == (
        b"ver:3.0 server:s serial:0 pool:p poolserial:0 "
        b"eventname:SUPERVISOR_STATE_CHANGE_RUNNING len:0\n"
    )


def test_every_supervisord_event_type_is_known_with_its_parent() -> None:
    upstream = pytest.importorskip("supervisor.events")
    names = {n for n in vars(upstream.EventTypes) if n.isupper()}
    assert names == wire.EVENT_TYPES
    for name in names:
        cls = getattr(upstream.EventTypes, name)
        for ancestor in names:
            expected = issubclass(cls, getattr(upstream.EventTypes, ancestor))
            assert wire.is_subtype(name, ancestor) == expected, (name, ancestor)


@pytest.mark.parametrize(
    ("subs", "name", "matched"),
    [
        (("EVENT",), "TICK_5", True),
        (("PROCESS_STATE",), "PROCESS_STATE_RUNNING", True),
        (("PROCESS_STATE_RUNNING",), "PROCESS_STATE_EXITED", False),
        (("TICK_60", "PROCESS_LOG"), "PROCESS_LOG_STDERR", True),
        (("PROCESS_LOG",), "PROCESS_COMMUNICATION_STDOUT", False),
        ((), "TICK_5", False),
    ],
)
def test_subscription_matching(subs: tuple[str, ...], name: str, matched: bool) -> None:
    assert wire.subscribes_to(subs, name) is matched


def test_parse_tokens_and_split_payload() -> None:
    assert wire.parse_tokens("a:1 b:x:y  c:") == {"a": "1", "b": "x:y", "c": ""}
    with pytest.raises(ValueError):
        wire.parse_tokens("novalue")
    assert wire.split_payload("processname:p groupname:g\ndata\nmore") == (
        {"processname": "p", "groupname": "g"},
        "data\nmore",
    )


def test_result_lines() -> None:
    assert wire.result_message(b"OK") == b"RESULT 2\nOK"
    assert wire.result_message("é".encode()) == b"RESULT 2\n\xc3\xa9"
    assert wire.parse_result_line(b"RESULT 12") == 12
    for bad in (b"RESULT x", b"RESULT", b"RESULT -1"):
        with pytest.raises(ValueError):
            wire.parse_result_line(bad)


@pytest.mark.parametrize("to", [s for s in PS])
def test_state_payloads_match_upstream_supervisor_byte_for_byte(to: PS) -> None:
    upstream = pytest.importorskip("supervisor.events")
    from types import SimpleNamespace

    process = SimpleNamespace(
        config=SimpleNamespace(name="proc"),
        group=SimpleNamespace(config=SimpleNamespace(name="grp")),
        pid=4242,
        backoff=3,
    )
    cls = getattr(upstream.EventTypes, f"PROCESS_STATE_{to.name}")
    theirs = cls(process, PS.RUNNING.value, expected=False).payload()
    ours = wire.process_state_payload(
        processname="proc", groupname="grp", from_state=PS.RUNNING, to_state=to,
        pid=4242, tries=3, expected=False,
    )
    assert ours == theirs


def test_other_payloads_match_upstream_supervisor() -> None:
    upstream = pytest.importorskip("supervisor.events")
    from types import SimpleNamespace

    process = SimpleNamespace(
        config=SimpleNamespace(name="p"), group=SimpleNamespace(config=SimpleNamespace(name="g"))
    )
    log = upstream.ProcessLogStdoutEvent(process, 5, b"x\ny")
    assert wire.process_log_payload(
        processname="p", groupname="g", pid=5, channel="stdout", data=b"x\ny"
    ) == log.payload()
    comm = upstream.ProcessCommunicationStderrEvent(process, 5, b"\xfe")
    assert wire.process_communication_payload(
        processname="p", groupname="g", pid=5, data=b"\xfe"
    ) == comm.payload()
    assert wire.process_group_payload("g") == upstream.ProcessGroupAddedEvent("g").payload()
    assert wire.tick_payload(60) == upstream.Tick60Event(60, None).payload()
    assert wire.remote_communication_payload("t", "d") == (
        upstream.RemoteCommunicationEvent("t", "d").payload()
    )


def test_config_accepts_exactly_the_event_types_listeners_can_get() -> None:
    pools = pytest.importorskip("minder.config.pools")
    assert set(pools.EVENT_TYPE_NAMES) == wire.EVENT_TYPES
