"""protocol/signals: supervisord's signal_number, the one parser for config, XML-RPC and JSON."""

from __future__ import annotations

import signal

import pytest

from minder.protocol.signals import BadSignal, parse_signal


@pytest.mark.parametrize(
    ("given", "number"),
    [("HUP", 1), ("sighup", 1), (" TERM ", 15), ("15", 15), (9, 9), ("0", 0), ("2", 2),
     ("IOT", int(signal.SIGABRT)), ("RTMIN", int(signal.SIGRTMIN)), (str(int(signal.SIGRTMAX)),
     int(signal.SIGRTMAX))],
)
def test_names_and_numbers_supervisord_accepts(given: object, number: int) -> None:
    assert parse_signal(given) == number


@pytest.mark.parametrize(
    ("given", "message"),
    [("FOO", "value 'FOO' is not a valid signal name"),
     ("40", "value '40' is not a valid signal number"),  # supervisord refuses it too
     ("65", "value '65' is not a valid signal number"),
     (-1, "value -1 is not a valid signal number"),
     ("١", "value '١' is not a valid signal name")],  # only ASCII digits are a number
)
def test_what_is_not_a_signal(given: object, message: str) -> None:
    with pytest.raises(BadSignal) as info:
        parse_signal(given)
    assert info.value.message == message
