"""Build the values of an XML-RPC ``<methodCall>`` from expat's events.

Why not ``xmlrpc.client.Unmarshaller``: importing ``xmlrpc.client`` imports
``http.client``, which loads ``ssl`` and OpenSSL's libcrypto into the
daemon (~5 MiB resident) for HTTPS classes minderd never uses. This builder
gives the same values as ``xmlrpc.client.loads(body, use_builtin_types=True)``
for every type of the XML-RPC spec and its common extensions (``i1``…``i8``,
``nil``); ``tests/unit/rpc/test_xmlcodec.py`` checks that with generated
calls. What it does not accept (an unknown element inside a ``<value>``, a
``<fault>`` in a request) is an error, as there.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

_INTS = frozenset({"int", "i1", "i2", "i4", "i8", "biginteger"})
_FLOATS = frozenset({"double", "float"})
_OTHER_SCALARS = {"boolean", "string", "base64", "dateTime.iso8601", "nil", "bigdecimal"}
_SCALARS = _INTS | _FLOATS | _OTHER_SCALARS
_CONTAINERS = frozenset({"array", "struct"})


class UnmarshalError(ValueError):
    """The call is well-formed XML but not a valid XML-RPC call."""


def _scalar(tag: str, text: str) -> Any:
    if tag == "string":
        return text
    if tag in _INTS:
        return int(text)
    if tag == "boolean":
        if text == "0":
            return False
        if text == "1":
            return True
        raise UnmarshalError("bad boolean value")
    if tag in _FLOATS:
        return float(text)
    if tag == "base64":
        try:
            return base64.decodebytes(text.encode("ascii"))
        except (binascii.Error, UnicodeEncodeError) as exc:
            raise UnmarshalError(f"bad base64 value: {exc}") from None
    if tag == "nil":
        return None
    if tag == "dateTime.iso8601":
        import datetime  # rare in calls: only its users pay for it

        return datetime.datetime.strptime(text, "%Y%m%dT%H:%M:%S")
    # bigdecimal, the last one: decimal is heavy and nobody sends it to supervisord
    import decimal

    return decimal.Decimal(text)


class CallBuilder:
    """Expat handlers (``start``, ``end``, ``data``) that collect one call.

    Like xmlrpc.client: element names lose any namespace prefix
    (``ex:nil``), a ``<value>`` with no typed element is a string, an
    unknown element inside a ``<value>`` is an error and one elsewhere is
    ignored.
    """

    def __init__(self) -> None:
        self.method: str | None = None
        self._stack: list[Any] = []  # finished values, and member names before them
        self._marks: list[int] = []  # where each open array/struct starts in _stack
        self._text: list[str] = []
        self._bare_value = False  # just inside a <value>, no typed element seen

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        tag = tag.rpartition(":")[2]
        if self._bare_value and tag not in _SCALARS and tag not in _CONTAINERS:
            raise UnmarshalError(f"unknown tag {tag!r}")
        if tag == "fault":
            raise UnmarshalError("a fault is not a call")
        if tag in _CONTAINERS:
            self._marks.append(len(self._stack))
        self._text = []
        self._bare_value = tag == "value"

    def data(self, text: str) -> None:
        self._text.append(text)

    def end(self, tag: str) -> None:
        tag = tag.rpartition(":")[2]
        text = "".join(self._text)
        self._text = []
        bare, self._bare_value = self._bare_value, False
        if tag == "value":
            if bare:  # <value>text</value> is a string
                self._stack.append(text)
        elif tag == "name":
            self._stack.append(text)
        elif tag in _SCALARS:
            self._stack.append(_scalar(tag, text))
        elif tag == "array":
            mark = self._marks.pop()
            self._stack[mark:] = [self._stack[mark:]]
        elif tag == "struct":
            mark = self._marks.pop()
            items = self._stack[mark:]
            self._stack[mark:] = [dict(zip(items[::2], items[1::2], strict=True))]
        elif tag == "methodName":
            self.method = text

    def params(self) -> tuple[Any, ...]:
        if self._marks:
            raise UnmarshalError("unclosed array or struct")
        return tuple(self._stack)
