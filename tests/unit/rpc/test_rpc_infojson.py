"""JSON text for the process-info structs: the same values, nothing for XML to escape."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from minder.rpc.infojson import json_members, json_string
from minder.rpc.xmlcodec import _NEEDS_ESCAPING, xml_safe


@given(st.text())
def test_any_text_reads_back_xml_safe_and_needs_no_escaping(text: str) -> None:
    encoded = json_string(text)
    assert json.loads(encoded) == xml_safe(text)
    assert _NEEDS_ESCAPING.search(encoded) is None


def test_markup_and_control_characters_are_json_escapes() -> None:
    expected = '"a\\u0026b\\u003cc\\u003ed\\"\\\\\\r\\n\\t\ufffd"'
    assert json_string('a&b<c>d"\\\r\n\t\x01') == expected


@given(st.dictionaries(st.text(), st.one_of(st.text(), st.integers())))
def test_members_are_an_objects_text(items: dict[str, str | int]) -> None:
    decoded = json.loads("{" + json_members(items) + "}")
    safe = {xml_safe(k): xml_safe(v) if isinstance(v, str) else v for k, v in items.items()}
    assert decoded == safe


def test_other_values_are_refused() -> None:
    import pytest

    for value in (True, 1.5, None, [1]):
        with pytest.raises(TypeError):
            json_members({"k": value})


def test_printable_ascii_and_the_rest_read_back_alike() -> None:
    """The printable-ASCII shortcut and the xml_safe path give the same values."""
    for text in ("pid 12, uptime 1:02:03", "/var/log/a b.log", "\x7f", "tab\there", "é", ""):
        encoded = json_string(text)
        assert json.loads(encoded) == xml_safe(text)
        assert _NEEDS_ESCAPING.search(encoded) is None
