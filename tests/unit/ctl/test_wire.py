"""The hand-written XML-RPC codec agrees with the standard library's."""

from __future__ import annotations

import xmlrpc.client
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.ctl.wire import RpcFault, WireError, decode_response, encode_call

values = st.recursive(
    st.one_of(
        st.booleans(),
        st.integers(min_value=-(2**31), max_value=2**31 - 1),
        # XML 1.0 carries no surrogate, no control but tab/newline, and not the
        # noncharacters U+FFFE and U+FFFF: neither parser reads a body holding them.
        st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc"),
                                       blacklist_characters="\ufffe\uffff")),
        st.floats(allow_nan=False, allow_infinity=False),
    ),
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(alphabet="abcdefgh_", min_size=1), children, max_size=4),
    max_leaves=12,
)


@given(values)
def test_decodes_what_stdlib_encodes(value: Any) -> None:
    body = xmlrpc.client.dumps((value,), methodresponse=True).encode()
    assert decode_response(body) == value


@given(st.lists(values, max_size=3))
def test_stdlib_decodes_what_we_encode(params: list[object]) -> None:
    decoded, method = xmlrpc.client.loads(encode_call("supervisor.x", tuple(params)))
    assert method == "supervisor.x"
    assert list(decoded) == params


def test_fault_raises_with_code_and_text() -> None:
    body = xmlrpc.client.dumps(xmlrpc.client.Fault(10, "BAD_NAME: foo"), methodresponse=True)
    with pytest.raises(RpcFault) as info:
        decode_response(body.encode())
    assert info.value.code == 10
    assert info.value.text == "BAD_NAME: foo"


def test_untyped_value_is_a_string() -> None:
    body = (
        b"<methodResponse><params><param><value>plain &amp; simple</value>"
        b"</param></params></methodResponse>"
    )
    assert decode_response(body) == "plain & simple"


def test_garbage_is_a_wire_error() -> None:
    with pytest.raises(WireError):
        decode_response(b"<html>502 Bad Gateway")
