"""JSON text for the process-info structs: the same values, nothing for XML to escape."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from minder.rpc.infojson import info_head, info_middle, json_string
from minder.rpc.xmlcodec import _NEEDS_ESCAPING, xml_safe


@given(st.text())
def test_any_text_reads_back_xml_safe_and_needs_no_escaping(text: str) -> None:
    encoded = json_string(text)
    assert json.loads(encoded) == xml_safe(text)
    assert _NEEDS_ESCAPING.search(encoded) is None


def test_markup_and_control_characters_are_json_escapes() -> None:
    expected = '"a\\u0026b\\u003cc\\u003ed\\"\\\\\\r\\n\\t\ufffd"'
    assert json_string('a&b<c>d"\\\r\n\t\x01') == expected


INT32 = st.integers(min_value=-(2**31), max_value=2**63 - 1)


@given(st.text(), st.text(), st.text(), st.text(), st.text(), INT32, INT32, INT32, INT32)
def test_head_and_middle_are_the_structs_members_in_order(
    name: str, group: str, spawnerr: str, out: str, err: str,
    start: int, stop: int, exitstatus: int, pid: int,
) -> None:
    info: dict[str, Any] = {
        "name": name, "group": group, "start": start, "stop": stop, "now": 7, "state": 200,
        "statename": "FATAL", "spawnerr": spawnerr, "exitstatus": exitstatus, "logfile": out,
        "stdout_logfile": out, "stderr_logfile": err, "pid": pid,
    }
    text = info_head(info) + "7" + info_middle(info) + "}"
    decoded = json.loads(text)
    assert list(decoded) == list(info)
    assert decoded == {k: xml_safe(v) if isinstance(v, str) else v for k, v in info.items()}
    assert _NEEDS_ESCAPING.search(text) is None


def test_printable_ascii_and_the_rest_read_back_alike() -> None:
    """The printable-ASCII shortcut and the xml_safe path give the same values."""
    for text in ("pid 12, uptime 1:02:03", "/var/log/a b.log", "\x7f", "tab\there", "é", ""):
        encoded = json_string(text)
        assert json.loads(encoded) == xml_safe(text)
        assert _NEEDS_ESCAPING.search(encoded) is None
