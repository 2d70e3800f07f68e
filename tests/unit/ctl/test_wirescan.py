"""The layout scanner (ctl/wirescan.py) agrees with the expat decoder and ``xmlrpc.client``.

The scanner may refuse any body (NotCanonical: the expat decoder then reads
it); what it must never do is return something other than what the expat
decoder returns, or accept what that decoder refuses. These tests fuzz the
three decoders against each other on the marshaller's bodies, on bodies
with every awkward character, and on bodies mutated byte by byte.
"""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.ctl.wire import RpcFault, WireError, decode_response, decode_with_expat
from minder.ctl.wirescan import CanonicalFault, NotCanonical, decode_canonical
from minder.rpc.xmlcodec import dump_response

# Whatever the fast path may raise before handing over to expat (wire.decode_response).
HANDED_OVER = (NotCanonical, ValueError, RecursionError)

scalars = st.one_of(
    st.booleans(),
    st.integers(min_value=-(2**31), max_value=2**31 - 1),
    st.text(),  # any character but a lone surrogate: control characters and \r too
    st.text(alphabet="<>&;]\r\n\t\x00\x0b\ufffe\uffff amp lt gt#x"),
    st.floats(allow_nan=False, allow_infinity=False),
)
values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet="abc_&<>\r]", min_size=1), children, max_size=4),
    max_leaves=16,
)


def outcome(decode: Any, body: bytes) -> tuple[str, Any]:
    try:
        return "value", decode(body)
    except RpcFault as fault:
        return "fault", (fault.code, fault.text)
    except WireError:
        return "wire error", None


def check_agrees(body: bytes) -> None:
    """The scanner hands over or returns exactly what expat's decoder returns."""
    try:
        fast = decode_canonical(body)
    except HANDED_OVER:
        return
    except CanonicalFault as fault:
        assert outcome(decode_with_expat, body) == ("fault", (fault.code, fault.text))
        return
    assert outcome(decode_with_expat, body) == ("value", fast)


def dumps(value: Any) -> bytes:
    return xmlrpc.client.dumps((value,), methodresponse=True).encode("utf-8")


def fault_body(code: int, text: str) -> bytes:
    return xmlrpc.client.dumps(xmlrpc.client.Fault(code, text), methodresponse=True).encode()


@given(values)
def test_stdlib_bodies_decode_the_same(value: Any) -> None:
    body = dumps(value)
    check_agrees(body)
    expat_says = outcome(decode_with_expat, body)
    assert outcome(decode_response, body) == expat_says
    if expat_says[0] == "value":
        assert expat_says[1] == xmlrpc.client.loads(body)[0][0]


@given(values)
def test_the_scanner_reads_what_it_should(value: Any) -> None:
    """Plain values (no character XML refuses or rewrites) take the fast path."""
    refused = {*map(chr, range(0x20)), "\ufffe", "\uffff"} - {"\t", "\n"}
    if not any(isinstance(s, str) and refused.intersection(s) for s in _strings(value)):
        assert decode_canonical(dumps(value)) == value


def _strings(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return [*value, *(s for v in value.values() for s in _strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [value]


MUTATIONS = ["<", ">", "/", "&", ";", "\n", "\r", " ", "x", "]]>", "&amp;", "&#60;", "<!-- c -->",
             "<![CDATA[<x>]]>", "</value>", "<value>", "<string>", "<int>", "<struct>", "</member>",
             "\x00", "\xff", "\ufffe"]


def mutated(body: bytes, data: st.DataObject) -> bytes:
    """``body`` with one to three of MUTATIONS inserted (each maybe cutting a few bytes)."""
    for _ in range(data.draw(st.integers(1, 3))):
        at = data.draw(st.integers(0, len(body)))
        cut = data.draw(st.integers(0, 3))
        insert = data.draw(st.sampled_from(MUTATIONS)).encode("utf-8")
        body = body[:at] + insert + body[at + cut :]
    return body


@given(values, st.data())
def test_mutated_bodies_never_decode_differently(value: Any, data: st.DataObject) -> None:
    body = mutated(dumps(value), data)
    check_agrees(body)
    assert outcome(decode_response, body) == outcome(decode_with_expat, body)


@pytest.mark.parametrize(
    ("original", "altered"),
    [
        (b"<name>ab</name>", b"<name>a<!-- c -->b</name>"),
        (b"<name>ab</name>", b"<name>a<x/>b</name>"),
        (b"v</string>", b"v</string><string>w</string>"),
        (b"v</string>", b"v<!-- c --></string>"),
        (b"<value><string>v", b"<value><string><![CDATA[<>]]>v"),
        (b"<int>1</int>", b"<int>1</int><int>2</int>"),
        (b"</member>\n</struct>", b"</member>\n<member>\n<name>x</name>\n</member>\n</struct>"),
    ],
)
def test_hand_altered_process_infos(original: bytes, altered: bytes) -> None:
    """Tags where the layout has text: never read as text, never skipped."""
    body = dumps([{"ab": 1, "n": 1, "k": "v"}, {"ab": 2, "n": 1, "k": "v"}])
    assert original in body
    body = body.replace(original, altered, 1)
    check_agrees(body)
    assert outcome(decode_response, body) == outcome(decode_with_expat, body)


def test_the_daemons_process_list_takes_the_fast_path() -> None:
    """minderd's writer (rpc/xmlcodec.py) emits the layout, entities and i8 included."""
    infos = [
        {"name": f"p{i}", "group": "g&<>", "start": 1796530498, "stop": 0, "state": 20,
         "statename": "RUNNING", "spawnerr": "", "exitstatus": 0, "pid": 4000 + i,
         "description": f"pid {4000 + i}, uptime 0:01:52", "maxbytes": 3 * 2**30,
         "ok": True, "ratio": 0.5, "nested": {"list": [1, "two", {}]}}
        for i in range(3)
    ]
    body = dump_response(infos)
    assert decode_canonical(body) == infos == decode_with_expat(body)


@pytest.mark.parametrize(
    "body",
    [
        fault_body(10, "BAD_NAME: foo").replace(b"faultString", b"faultText"),
        fault_body(10, "x").replace(b"<int>10</int>", b"<string>10</string>"),
        xmlrpc.client.dumps((None,), methodresponse=True, allow_none=True).encode(),
        dumps(b"bytes"),
        b"<methodResponse><params><param><value>untyped</value></param></params></methodResponse>",
        dumps("a\rb"),
        dumps("x").replace(b"x</string>", b"]]></string>"),
        dumps("x").replace(b"x</string>", b"&#60;&quot;</string>"),
        dumps({"k": 1}).replace(b"k</name>", b"&#107;</name>"),
    ],
    ids=["fault-keys", "fault-code-type", "nil", "base64", "untyped", "carriage-return",
         "cdata-end", "entity", "name-entity"],
)
def test_what_the_scanner_leaves_to_expat(body: bytes) -> None:
    with pytest.raises(NotCanonical):
        decode_canonical(body)
    assert outcome(decode_response, body) == outcome(decode_with_expat, body)


@given(st.integers(min_value=-(2**31), max_value=2**31 - 1), st.text())
def test_faults_decode_as_expat_reads_them(code: int, text: str) -> None:
    """supervisord's UNKNOWN_METHOD (minderctl's fallback) and every other fault."""
    body = fault_body(code, text)
    check_agrees(body)
    assert outcome(decode_response, body) == outcome(decode_with_expat, body)


def test_an_unknown_method_fault_takes_the_fast_path() -> None:
    from minder.rpc.xmlcodec import dump_fault

    for body in (fault_body(1, "UNKNOWN_METHOD"), dump_fault(1, "UNKNOWN_METHOD")):
        with pytest.raises(CanonicalFault) as caught:
            decode_canonical(body)
        assert (caught.value.code, caught.value.text) == (1, "UNKNOWN_METHOD")
        with pytest.raises(RpcFault) as refused:
            decode_response(body)
        assert (refused.value.code, refused.value.text) == (1, "UNKNOWN_METHOD")


@given(st.integers(min_value=0, max_value=999), st.text(max_size=20), st.data())
def test_mutated_faults_never_decode_differently(code: int, text: str, data: st.DataObject) -> None:
    body = mutated(fault_body(code, text), data)
    check_agrees(body)
    assert outcome(decode_response, body) == outcome(decode_with_expat, body)
