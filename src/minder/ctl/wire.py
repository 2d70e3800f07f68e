"""XML-RPC bodies, encoded and decoded by hand.

``xmlrpc.client`` drags in ``http.client`` and the ``email`` package, which
is about a third of a short ``minderctl`` run. The calls minderctl makes
only pass strings, ints and booleans, and the daemon's answers use the
plain XML-RPC value types, so a small expat-driven decoder does the job,
behind a faster scanner for the layout every daemon writes (wirescan.py).
"""

from __future__ import annotations

from minder.ctl.wirescan import CanonicalFault, NotCanonical, boolean_text, decode_canonical

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


def _convert_base64(text: str) -> bytes:
    import binascii

    return binascii.a2b_base64(text.encode())


# How each typed scalar's text becomes a value (None: the tag is no scalar).
_CONVERT: dict[str, Any] = {
    "string": str,
    "dateTime.iso8601": str,
    "int": int,  # int() ignores surrounding whitespace, as xmlrpc.client does
    "i4": int,
    "i8": int,
    "boolean": boolean_text,
    "double": float,
    "base64": _convert_base64,
}


def decode_response(body: bytes) -> Any:
    """The single value of a ``methodResponse``; raises RpcFault for a fault.

    Answers in ``xmlrpc.client``'s exact layout (every answer supervisord
    and minderd give, faults included) are read by wirescan's string scanner;
    anything else by the expat decoder below, which has the last word.
    """
    try:
        return decode_canonical(body)
    except CanonicalFault as fault:
        raise RpcFault(fault.code, fault.text) from None
    except (NotCanonical, ValueError, RecursionError):
        return decode_with_expat(body)


def decode_with_expat(body: bytes) -> Any:  # noqa: C901 - flat expat closures, for speed (below)
    """The general decoder: any well-formed XML-RPC answer; RpcFault for a fault.

    The expat handlers are closures over local state rather than methods of
    a decoder object: a 5,000-process ``getAllProcessInfo`` answer is about
    700,000 callbacks, so each attribute lookup saved is felt in
    ``minderctl status``.
    """
    from xml.parsers import expat

    containers: list[Any] = []  # open arrays (list) and structs (dict)
    keys: list[str] = []  # the pending member name of each open struct
    values: list[Any] = []  # completed top-level values
    text = ""
    typed = False  # the open <value> already produced its value
    fault = False
    convert = _CONVERT

    def emit(value: Any) -> None:
        nonlocal typed
        typed = True
        if not containers:
            values.append(value)
            return
        top = containers[-1]
        if type(top) is list:
            top.append(value)
        else:
            top[keys[-1]] = value

    def start(tag: str, attrs: Any) -> None:
        nonlocal text, typed, fault
        text = ""
        if tag == "value":
            typed = False
        elif tag == "struct":
            typed = True
            containers.append({})
            keys.append("")
        elif tag == "array":
            typed = True
            containers.append([])
        elif tag == "nil":
            emit(None)
        elif tag == "fault":
            fault = True

    def data(chunk: str) -> None:
        nonlocal text
        text += chunk

    def end(tag: str) -> None:
        nonlocal text, typed
        conv = convert.get(tag)
        if conv is not None:
            emit(conv(text))
        elif tag == "name":
            keys[-1] = text
        elif tag == "value":
            if not typed:
                emit(text)  # an untyped <value> is a string
            typed = True
        elif tag == "struct":
            keys.pop()
            emit(containers.pop())
        elif tag == "array":
            emit(containers.pop())
        if tag != "value":
            text = ""

    parser = expat.ParserCreate("utf-8")
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = data
    parser.buffer_text = True
    try:
        parser.Parse(body, True)
    except expat.ExpatError as exc:
        raise WireError(f"bad XML-RPC answer: {exc}") from None
    except (ValueError, IndexError) as exc:  # a scalar that is no number, a stray </struct>
        raise WireError(f"bad XML-RPC answer: {exc}") from None
    if len(values) != 1:
        raise WireError("XML-RPC answer without exactly one value")
    value = values[0]
    if fault:
        if not isinstance(value, dict):
            raise WireError("XML-RPC fault is not a struct")
        raise RpcFault(int(value.get("faultCode", 0)), str(value.get("faultString", "")))
    return value


class _JsonSettings:
    """What ``_json.make_scanner`` reads from a ``json.JSONDecoder``: its defaults."""

    strict = True
    object_hook = None
    object_pairs_hook = None
    parse_float = float
    parse_int = int
    parse_constant = float  # NaN, Infinity: never sent, read as json.loads would


def decode_json(text: str) -> Any:
    """One JSON value (``minder.getAllProcessInfoJSON``'s text), as ``json.loads`` reads it.

    Why ``_json``: the ``json`` package imports ``re`` (and ``enum`` behind
    it), which would cost a short ``minderctl`` run more than the decoding;
    its C scanner is what ``json.loads`` runs anyway.
    """
    try:
        from _json import make_scanner
    except ImportError:  # pragma: no cover - an interpreter without the C module
        import json

        try:
            return json.loads(text)
        except ValueError as exc:
            raise WireError(f"bad JSON answer: {exc}") from None
    try:
        value, end = make_scanner(_JsonSettings())(text, 0)  # type: ignore[arg-type]
    except (StopIteration, ValueError) as exc:  # ValueError: json's JSONDecodeError
        raise WireError(f"bad JSON answer: {exc!r}") from None
    if text[end:].strip(" \t\n\r"):
        raise WireError("bad JSON answer: data after the value")
    return value
