"""XML-RPC bodies, encoded and decoded by hand.

``xmlrpc.client`` drags in ``http.client`` and the ``email`` package, which
is about a third of a short ``minderctl`` run. The calls minderctl makes
only pass strings, ints and booleans, and the daemon's answers use the
plain XML-RPC value types, so a small expat-driven decoder does the job.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any



class RpcFault(Exception):
    """A ``<fault>`` answer: the daemon refused the call with a code."""

    def __init__(self, code: int, text: str) -> None:
        super().__init__(f"{code}: {text}")
        self.code = code
        self.text = text


class WireError(Exception):
    """The answer was not well-formed XML-RPC."""


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _encode_value(value: object) -> str:
    if isinstance(value, bool):
        return f"<value><boolean>{int(value)}</boolean></value>"
    if isinstance(value, int):
        return f"<value><int>{value}</int></value>"
    if isinstance(value, float):
        return f"<value><double>{value!r}</double></value>"
    if isinstance(value, str):
        return f"<value><string>{_escape(value)}</string></value>"
    if isinstance(value, list | tuple):
        items = "".join(_encode_value(v) for v in value)
        return f"<value><array><data>{items}</data></array></value>"
    if isinstance(value, dict):
        members = "".join(
            f"<member><name>{_escape(str(k))}</name>{_encode_value(v)}</member>"
            for k, v in value.items()
        )
        return f"<value><struct>{members}</struct></value>"
    raise TypeError(f"cannot send {type(value).__name__} over XML-RPC")


def encode_call(method: str, params: tuple[object, ...]) -> bytes:
    """The body of a ``methodCall`` POST."""
    args = "".join(f"<param>{_encode_value(p)}</param>" for p in params)
    return (
        "<?xml version='1.0'?>\n<methodCall>"
        f"<methodName>{_escape(method)}</methodName><params>{args}</params></methodCall>"
    ).encode()


_SCALARS = {"string", "int", "i4", "i8", "boolean", "double", "base64", "dateTime.iso8601", "name"}


class _Decoder:
    """Builds Python values from expat events with an explicit stack."""

    def __init__(self) -> None:
        self.stack: list[Any] = []  # open arrays (list) and structs (dict)
        self.keys: list[str | None] = []  # pending member name per open struct
        self.text: list[str] = []
        self.value_had_type = False
        self.values: list[Any] = []  # completed top-level values
        self.is_fault = False

    def start(self, tag: str, attrs: dict[str, str]) -> None:
        if tag == "value":
            self.value_had_type = False
            self.text = []
        elif tag in _SCALARS:
            self.value_had_type = tag != "name"
            self.text = []
        elif tag == "array":
            self.value_had_type = True
            self.stack.append([])
        elif tag == "struct":
            self.value_had_type = True
            self.stack.append({})
            self.keys.append(None)
        elif tag == "fault":
            self.is_fault = True
        elif tag == "nil":
            self.value_had_type = True
            self._emit(None)

    def data(self, text: str) -> None:
        self.text.append(text)

    def end(self, tag: str) -> None:
        text = "".join(self.text)
        if tag == "name":
            self.keys[-1] = text
        elif tag in ("string", "dateTime.iso8601"):
            self._emit(text)
        elif tag in ("int", "i4", "i8"):
            self._emit(int(text.strip()))
        elif tag == "boolean":
            self._emit(text.strip() == "1")
        elif tag == "double":
            self._emit(float(text.strip()))
        elif tag == "base64":
            import binascii

            self._emit(binascii.a2b_base64(text.encode()))
        elif tag == "value":
            if not self.value_had_type:
                self._emit(text)  # an untyped <value> is a string
            self.value_had_type = True
        elif tag in ("array", "struct"):
            done = self.stack.pop()
            if tag == "struct":
                self.keys.pop()
            self._emit(done)
        if tag != "value":
            self.text = []

    def _emit(self, value: Any) -> None:
        self.value_had_type = True
        if not self.stack:
            self.values.append(value)
            return
        top = self.stack[-1]
        if isinstance(top, list):
            top.append(value)
        else:
            top[self.keys[-1] or ""] = value


def decode_response(body: bytes) -> Any:
    """The single value of a ``methodResponse``; raises RpcFault for a fault."""
    from xml.parsers import expat

    decoder = _Decoder()
    parser = expat.ParserCreate("utf-8")
    parser.StartElementHandler = decoder.start
    parser.EndElementHandler = decoder.end
    parser.CharacterDataHandler = decoder.data
    parser.buffer_text = True
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise WireError(f"bad XML-RPC answer: {exc}") from None
    if len(decoder.values) != 1:
        raise WireError("XML-RPC answer without exactly one value")
    value = decoder.values[0]
    if decoder.is_fault:
        if not isinstance(value, dict):
            raise WireError("XML-RPC fault is not a struct")
        raise RpcFault(int(value.get("faultCode", 0)), str(value.get("faultString", "")))
    return value
