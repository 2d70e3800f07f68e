"""Signal names and numbers as supervisord's ``signal_number`` reads them.

One parser for every place a signal is written by a person: ``stopsignal=``
in the config, ``signalProcess`` over XML-RPC and ``{"signal": ...}`` in
the JSON API. Each caller turns ``BadSignal`` into its own kind of error
(a config problem with a suggestion, a BAD_SIGNAL fault).

Accepted: a name with or without ``SIG`` in any case (``HUP``, ``sighup``,
aliases such as ``IOT`` included), or a number supervisord knows: 0 and
the named signals, RTMIN and RTMAX among them. Other realtime numbers
(``40``) are refused, as supervisord refuses them (checked against it in
tests/e2e/test_bulk_agreement.py).
"""

from __future__ import annotations

import re
import signal

# every name the signal module knows, aliases included (IOT, CLD, POLL), without SIG
SIGNAL_NAMES: dict[str, int] = {
    name[3:]: int(sig) for name, sig in signal.Signals.__members__.items()
}
# supervisord's SIGNUMS: every signal module constant named SIG*, so the named
# signals (RTMIN and RTMAX among them) plus 0, 1 and 2 (SIG_DFL, SIG_IGN, ...)
VALID_SIGNAL_NUMBERS = frozenset({0, 1, 2, *SIGNAL_NAMES.values()})
_ASCII_DIGITS = re.compile(r"[0-9]+")


class BadSignal(ValueError):
    """Not a signal; ``name`` is what was looked up when it was read as a name (for hints)."""

    def __init__(self, message: str, name: str | None) -> None:
        super().__init__(message)
        self.message = message
        self.name = name


def parse_signal(value: object) -> int:
    """``TERM``, ``SIGTERM``, ``term``, ``15`` or 15 -> 15; ``BadSignal`` otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        if value in VALID_SIGNAL_NUMBERS:
            return value
        raise BadSignal(f"value {value!r} is not a valid signal number", None)
    text = str(value)
    stripped = text.strip()
    if _ASCII_DIGITS.fullmatch(stripped):
        number = int(stripped)
        if number in VALID_SIGNAL_NUMBERS:
            return number
        raise BadSignal(f"value {text!r} is not a valid signal number", None)
    name = stripped.upper().removeprefix("SIG")
    if name in SIGNAL_NAMES:
        return SIGNAL_NAMES[name]
    raise BadSignal(f"value {text!r} is not a valid signal name", name)
