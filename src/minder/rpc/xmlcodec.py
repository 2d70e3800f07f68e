"""XML-RPC request parsing and response marshalling, hardened.

Why not plain ``xmlrpc.client.loads/dumps``:

* Requests come from the network. We drive expat ourselves so that a
  DOCTYPE (the door to billion-laughs and external entities) is refused
  outright and element nesting is bounded; ``unmarshal.CallBuilder``
  builds the values from the events we pass through (the values
  ``xmlrpc.client`` would give, without importing it: see there).
* Replies may carry integers above 2**31-1 (``stdout_logfile_maxbytes=3GB``);
  supervisord answers those with HTTP 500. We emit ``<i8>``, which
  ``xmlrpc.client`` (and so supervisorctl) reads back as a plain int.
  Replies are encoded by a small dedicated writer (the value types of
  this API only), several times faster than ``xmlrpc.client.Marshaller``
  on a 500-process ``getAllProcessInfo``; a ``RenderedStruct`` brings its
  XML already made (the process-info cache), and is copied as is.
* Replies carry log data, which may hold bytes that are not UTF-8 or
  control characters XML 1.0 cannot represent. Such characters become
  U+FFFD so the document is always well-formed; ``\\r`` is kept as ``&#13;``.
"""

from __future__ import annotations

import base64
import functools
import re
from typing import Any
from xml.parsers import expat

from minder.rpc.unmarshal import CallBuilder

MAX_DEPTH = 64
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class RequestError(ValueError):
    """The request body is not an acceptable XML-RPC call (HTTP 400)."""


def xml_safe(text: str) -> str:
    """Replace every character XML 1.0 cannot carry with U+FFFD."""
    return _NOT_XML_CHAR.sub("\ufffd", text)


def xml_safe_value(value: Any) -> Any:
    """``value`` with xml_safe applied to every string in it (lists and dicts walked):
    what an answer carries once marshalled, for an encoding other than XML."""
    if isinstance(value, str):
        return xml_safe(value)
    if isinstance(value, list):
        return [xml_safe_value(v) for v in value]
    if isinstance(value, dict):
        return {k: xml_safe_value(v) for k, v in value.items()}
    return value


def parse_request(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """Return ``(method name, params)`` of a ``<methodCall>``."""
    target = CallBuilder()
    parser = expat.ParserCreate()
    depth = 0

    def refuse_doctype(*_: object) -> int:
        raise RequestError("DOCTYPE is not allowed in XML-RPC requests")

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal depth
        depth += 1
        if depth > MAX_DEPTH:
            raise RequestError(f"XML nested deeper than {MAX_DEPTH} elements")
        target.start(tag, attrs)

    def end(tag: str) -> None:
        nonlocal depth
        depth -= 1
        target.end(tag)

    parser.StartDoctypeDeclHandler = refuse_doctype
    parser.EntityDeclHandler = refuse_doctype
    parser.ExternalEntityRefHandler = refuse_doctype
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = target.data
    parser.buffer_text = True
    try:
        parser.Parse(body, True)
        params = target.params()
        method = target.method
    except RequestError:
        raise
    except Exception as exc:  # expat, builder and value errors alike
        raise RequestError(f"malformed XML-RPC request: {exc}") from exc
    if not isinstance(method, str) or not method:
        raise RequestError("no methodName in request")
    return method, tuple(params)


# "[&<>\r]" or a character XML cannot carry, as one class: an alternation made
# the search ~3.5x slower per character, which a 1.4 MB string (the
# getAllProcessInfoJSON answer) felt. The unit tests check every code point.
_NEEDS_ESCAPING = re.compile(
    "[^\t\n\x20-\x25\x27-\x3b\x3d\x3f-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _text(value: str) -> str:
    """Escaped, XML-safe text; the common clean string is returned as is."""
    if _NEEDS_ESCAPING.search(value) is None:
        return value
    escaped = xml_safe(value).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return escaped.replace("\r", "&#13;")


@functools.lru_cache(maxsize=1024)
def _member_head(key: str) -> str:
    if type(key) is not str:
        raise TypeError("struct keys must be strings")
    return f"<member>\n<name>{_text(key)}</name>\n"


class RenderedStruct(dict[str, Any]):
    """A struct that carries its own ``<value>`` XML (UTF-8), made together with it.

    To every Python consumer (the JSON API, ``system.multicall``, tests) it is
    a plain dict; the encoder copies ``xml`` instead of walking the items.
    The process-info cache (``rpc/infocache.py``) builds these so that a
    500-process ``getAllProcessInfo`` re-renders only what changed since the
    last call. ``xml`` is bytes so that such a reply is one ``bytes.join``:
    joining 500 KB of text and then encoding it costs two big allocations,
    which glibc hands back to the kernel and page-faults in again on every
    call (measured: 0.5 ms of a 2 ms reply, against 0.02 ms for the join).
    Read-only by contract: changing the items does not change ``xml``, and
    the same object may be handed to several callers.
    """

    __slots__ = ("xml",)

    def __init__(self, items: dict[str, Any], xml: bytes) -> None:
        super().__init__(items)
        self.xml = xml


class RenderedString(str):
    """A string that needs no XML escaping, carrying its ``<value>`` XML (UTF-8).

    ``getAllProcessInfoJSON`` answers one 1.4 MB string at 5,000 processes;
    searching it for characters to escape cost ~4 ms a call, and nothing in
    it ever needs escaping: its maker (``rpc/infojson.py``) writes only text
    that XML carries as is. Build it with ``clean_string`` only from such text.
    To Python consumers it is a plain ``str``.
    """

    xml: bytes


def clean_string(text: str) -> RenderedString:
    """``text`` as a RenderedString; the caller guarantees it holds no markup
    (``&<>\\r``) and no character XML cannot carry (``_NEEDS_ESCAPING``)."""
    value = RenderedString(text)
    value.xml = b"".join((b"<value><string>", text.encode("utf-8"), b"</string></value>\n"))
    return value


STRUCT_OPEN = "<value><struct>\n"
STRUCT_CLOSE = "</struct></value>\n"
STRUCT_OPEN_BYTES = STRUCT_OPEN.encode()
STRUCT_CLOSE_BYTES = STRUCT_CLOSE.encode()


def _member(key: str, item: Any, out: list[Any]) -> None:
    """Append one ``<member>``; the common scalars are inlined (most of every reply)."""
    head = _member_head(key)
    kind = type(item)
    if kind is str:
        out.append(f"{head}<value><string>{_text(item)}</string></value>\n</member>\n")
    elif kind is int and INT32_MIN <= item <= INT32_MAX:
        out.append(f"{head}<value><int>{item}</int></value>\n</member>\n")
    else:
        out.append(head)
        _encode(item, out)
        out.append("</member>\n")


def struct_members(items: dict[str, Any]) -> bytes:
    """The ``<member>`` elements of a struct (UTF-8), exactly as ``dump_response``
    writes them: for a ``RenderedStruct`` assembled from parts rendered at
    different times, wrapped in STRUCT_OPEN ... STRUCT_CLOSE."""
    out: list[Any] = []
    for key, item in items.items():
        _member(key, item, out)
    return _join(out)


def string_member(key: str, text: str) -> bytes:
    """One ``<member>`` holding a string (UTF-8): ``struct_members({key: text})``, faster."""
    return f"{_member_head(key)}<value><string>{_text(text)}</string></value>\n</member>\n".encode()


def _encode(value: Any, out: list[Any]) -> None:  # noqa: C901 - one flat type switch: a call per value saved
    """Append one ``<value>`` (supervisord's replies are small trees of these)."""
    kind = type(value)
    if kind is str:
        out.append(f"<value><string>{_text(value)}</string></value>\n")
    elif kind is RenderedStruct or kind is RenderedString:
        out.append(value.xml)
    elif kind is bool:
        out.append(f"<value><boolean>{int(value)}</boolean></value>\n")
    elif kind is int:
        if INT32_MIN <= value <= INT32_MAX:
            out.append(f"<value><int>{value}</int></value>\n")
        elif INT64_MIN <= value <= INT64_MAX:
            out.append(f"<value><i8>{value}</i8></value>\n")
        else:
            raise OverflowError("int exceeds XML-RPC limits")
    elif kind is dict:
        out.append(STRUCT_OPEN)
        for key, item in value.items():
            _member(key, item, out)
        out.append(STRUCT_CLOSE)
    elif kind is list or kind is tuple:
        out.append("<value><array><data>\n")
        for item in value:
            if type(item) is RenderedStruct:  # getAllProcessInfo: 500 of these
                out.append(item.xml)
            else:
                _encode(item, out)
        out.append("</data></array></value>\n")
    elif kind is float:
        out.append(f"<value><double>{value!r}</double></value>\n")
    elif kind is bytes or kind is bytearray:
        encoded = base64.b64encode(value).decode("ascii")
        out.append(f"<value><base64>\n{encoded}\n</base64></value>\n")
    elif isinstance(value, int):  # IntEnum and friends: their number
        _encode(int(value), out)
    elif isinstance(value, str):
        _encode(str(value), out)
    elif isinstance(value, dict):  # a dict subclass that is not a RenderedStruct
        _encode(dict(value), out)
    else:
        raise TypeError(f"cannot marshal {kind.__name__} objects")


_HEAD = "<?xml version='1.0'?>\n<methodResponse>\n"


def _join(out: list[Any]) -> bytes:
    """The encoder's pieces as UTF-8: text, plus the bytes of RenderedStructs."""
    try:
        return "".join(out).encode("utf-8")
    except TypeError:  # a RenderedStruct's bytes among the text: join as bytes
        return b"".join([p if type(p) is bytes else p.encode("utf-8") for p in out])


def dump_response(value: Any) -> bytes:
    """A ``<methodResponse>`` holding one value."""
    out: list[Any] = [_HEAD, "<params>\n<param>\n"]
    _encode(value, out)
    out.append("</param>\n</params>\n</methodResponse>\n")
    return _join(out)


def dump_fault(code: int, text: str) -> bytes:
    """A ``<methodResponse>`` holding a fault."""
    out: list[Any] = [_HEAD, "<fault>\n"]
    _encode({"faultCode": code, "faultString": text}, out)
    out.append("</fault>\n</methodResponse>\n")
    return _join(out)
