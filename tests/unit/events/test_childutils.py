"""minder.childutils: the listener side of the protocol, on in-memory streams."""

from __future__ import annotations

import io
import time

import pytest

from minder import childutils
from minder.protocol.events import envelope


def event_bytes(payload: str, serial: int = 1) -> bytes:
    return envelope(server="s", serial=serial, pool="p", poolserial=serial,
                    eventname="PROCESS_LOG_STDOUT", payload=payload)


@pytest.mark.parametrize("binary", [True, False])
def test_wait_reads_exactly_one_event_even_with_non_ascii(binary: bool) -> None:
    payload = "processname:a groupname:a pid:1 channel:stdout\nhéllo wörld ✓\n"
    raw = event_bytes(payload, 1) + event_bytes("second", 2)
    stdin: io.IOBase = io.BytesIO(raw) if binary else io.StringIO(raw.decode())
    stdout: io.IOBase = io.BytesIO() if binary else io.StringIO()
    headers, got = childutils.listener.wait(stdin, stdout)  # type: ignore[arg-type]
    assert got == payload
    assert headers["serial"] == "1" and headers["eventname"] == "PROCESS_LOG_STDOUT"
    headers, got = childutils.listener.wait(stdin, stdout)  # type: ignore[arg-type]
    assert (headers["serial"], got) == ("2", "second")
    written = stdout.getvalue()  # type: ignore[attr-defined]
    assert written == (b"READY\nREADY\n" if binary else "READY\nREADY\n")


def test_wait_at_eof_raises() -> None:
    with pytest.raises(EOFError):
        childutils.listener.wait(io.StringIO(""), io.StringIO())


def test_results_count_bytes() -> None:
    out = io.StringIO()
    childutils.listener.ok(out)
    childutils.listener.fail(out)
    childutils.listener.send("é", out)
    assert out.getvalue() == "RESULT 2\nOKRESULT 4\nFAILRESULT 2\né"
    raw = io.BytesIO()
    childutils.listener.send(b"x", raw)
    assert raw.getvalue() == b"RESULT 1\nx"


def test_pcomm_wraps_message_in_capture_tokens() -> None:
    out = io.StringIO()
    childutils.pcomm.send("hello", out)
    assert out.getvalue() == "<!--XSUPERVISOR:BEGIN-->hello<!--XSUPERVISOR:END-->"


def test_headers_eventdata_asctime() -> None:
    assert childutils.get_headers("a:1 b:2") == {"a": "1", "b": "2"}
    assert childutils.eventdata("processname:x pid:3\nsome\ndata") == (
        {"processname": "x", "pid": "3"}, "some\ndata"
    )
    now = time.mktime((2024, 3, 4, 5, 6, 7, 0, 0, -1)) + 0.25
    assert childutils.get_asctime(now) == "2024-03-04 05:06:07,250"


def test_rpc_transport_from_environment() -> None:
    unix = childutils.getRPCTransport({"SUPERVISOR_SERVER_URL": "unix:///tmp/x.sock"})
    assert unix.serverurl == "unix:///tmp/x.sock"
    proxy = childutils.getRPCInterface({
        "SUPERVISOR_SERVER_URL": "http://127.0.0.1:9001",
        "SUPERVISOR_USERNAME": "u", "SUPERVISOR_PASSWORD": "p",
    })
    assert proxy is not None
    with pytest.raises(ValueError):
        childutils.getRPCTransport({"SUPERVISOR_SERVER_URL": "ftp://x"})
