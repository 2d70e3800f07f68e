"""Decode an XML-RPC answer laid out exactly as ``xmlrpc.client.dumps`` writes it.

Why: supervisord answers with ``xmlrpc.client``'s marshaller and minderd
writes the same bytes, so every answer minderctl sees has one fixed layout.
Driving expat costs a Python callback per tag and per text run (~700,000
for a 5,000-process ``getAllProcessInfo``, most of ``minderctl status``);
walking the known layout with ``str.find``/``startswith`` costs a few C
calls per struct member and no import.

This is only a fast path. It accepts nothing but the canonical layout and
raises ``NotCanonical`` on the first byte that differs (other whitespace, a
comment, CDATA, an attribute, an entity other than the three the
marshaller writes, a ``\\r`` or a character XML refuses, a type it does not
know, a fault that is not exactly ``{faultCode: int, faultString: string}``);
``wire.decode_response`` then hands the same body to the
expat decoder, which stays the one authority on what the answer means. On
every body the scanner accepts, it returns what that decoder returns (the
unit tests fuzz both, and ``xmlrpc.client``, against each other).

Why accepting exactly the layout makes this safe: the marshaller escapes
``<`` in every name and string, so every ``<`` of such a body opens a tag,
and the scanner checks each tag it meets, in order, to the last byte.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any


class NotCanonical(Exception):
    """The body is not in the marshaller's exact layout: use the general decoder."""


class CanonicalFault(Exception):
    """A canonical ``<fault>`` answer (``wire`` raises its RpcFault for it).

    Why read faults here too: minderctl's first call to a supervisord
    (``minder.getAllProcessInfoJSON``) is answered UNKNOWN_METHOD, and
    importing expat for that one small answer cost ``status`` more than
    reading it.
    """

    def __init__(self, code: int, text: str) -> None:
        super().__init__(code, text)
        self.code = code
        self.text = text


_HEAD = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n"
_TAIL = "</param>\n</params>\n</methodResponse>\n"
_FAULT_HEAD = "<?xml version='1.0'?>\n<methodResponse>\n<fault>\n"
_FAULT_TAIL = "</fault>\n</methodResponse>\n"
_MEMBER = "<member>\n<name>"
_NAME_END = "</name>\n<value><"
_MEMBER_END = "</member>\n"
_STRUCT_END = "</struct></value>\n"
_ARRAY_END = "</data></array></value>\n"


def boolean_text(text: str) -> bool:
    """An XML-RPC boolean's text, as ``xmlrpc.client`` reads it (both decoders use this)."""
    return text.strip() == "1"


# Scalar tag -> (its closing text, how its text becomes a value). The
# conversions are the expat decoder's (wire._CONVERT); base64, dateTime and
# nil are rare enough to be left to it.
_SCALARS: dict[str, tuple[str, Callable[[str], Any]]] = {
    "string": ("</string></value>\n", str),
    "int": ("</int></value>\n", int),
    "i4": ("</i4></value>\n", int),
    "i8": ("</i8></value>\n", int),
    "boolean": ("</boolean></value>\n", boolean_text),
    "double": ("</double></value>\n", float),
}
# tag -> (the rest of a flat struct's member after its text, conversion)
_SCALAR_ENDS = {tag: (closing[1:], convert) for tag, (closing, convert) in _SCALARS.items()}
_NEXT_MEMBER = _MEMBER_END + _MEMBER
# Characters XML 1.0 refuses (expat would fail) or rewrites (\r): left to expat.
_REFUSED_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, 0x0D, *range(0x0E, 0x20)])
_ALLOWED_BYTES = bytes(b for b in range(256) if b not in _REFUSED_BYTES)


def _unescape(text: str) -> str:
    """The three entities the marshaller writes; any other ``&`` is not canonical."""
    if "&" in text.replace("&lt;", "").replace("&gt;", "").replace("&amp;", ""):
        raise NotCanonical("entity")
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def decode_canonical(body: bytes) -> Any:
    """The single value of a canonical ``methodResponse``; CanonicalFault for a
    canonical fault; NotCanonical otherwise."""
    if body.translate(None, _ALLOWED_BYTES):
        raise NotCanonical("control character")
    if not body.isascii() and (b"\xef\xbf\xbe" in body or b"\xef\xbf\xbf" in body):
        raise NotCanonical("U+FFFE or U+FFFF")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise NotCanonical("not UTF-8") from None
    if "]]>" in text:
        raise NotCanonical("envelope")
    if text.startswith(_HEAD) and text.endswith(_TAIL):
        head, tail = _HEAD, _TAIL
    elif text.startswith(_FAULT_HEAD) and text.endswith(_FAULT_TAIL):
        head, tail = _FAULT_HEAD, _FAULT_TAIL
    else:
        raise NotCanonical("envelope")
    value, pos = _value(text, len(head))
    if pos != len(text) - len(tail):
        raise NotCanonical("trailing data")
    if head is _FAULT_HEAD:
        # exactly what the marshaller writes for a Fault; anything else: expat decides
        if type(value) is not dict or list(value) != ["faultCode", "faultString"]:
            raise NotCanonical("fault")
        code, message = value["faultCode"], value["faultString"]
        if type(code) is not int or type(message) is not str:
            raise NotCanonical("fault")
        raise CanonicalFault(code, message)
    return value


def _value(text: str, pos: int) -> tuple[Any, int]:
    """The value whose ``<value>`` starts at ``pos``, and the offset after it."""
    if not text.startswith("<value><", pos):
        raise NotCanonical("value")
    pos += 8
    if text.startswith("struct>\n", pos):
        return _struct(text, pos + 8)
    if text.startswith("array><data>\n", pos):
        items = []
        pos += 13
        while not text.startswith(_ARRAY_END, pos):
            item, pos = _value(text, pos)
            items.append(item)
        return items, pos + len(_ARRAY_END)
    return _scalar(text, pos)


def _scalar(text: str, pos: int) -> tuple[Any, int]:
    """A typed scalar whose tag name starts at ``pos``."""
    close = text.find(">", pos)
    known = _SCALARS.get(text[pos:close])
    if known is None:
        raise NotCanonical("type")
    closing, convert = known
    end = text.find("<", close + 1)
    if not text.startswith(closing, end):
        raise NotCanonical("scalar end")
    raw = text[close + 1 : end]
    if "&" in raw:
        raw = _unescape(raw)
    return convert(raw), end + len(closing)


def _struct(text: str, pos: int) -> tuple[dict[str, Any], int]:
    """Members from ``pos`` (just after ``<struct>\\n``) to ``</struct></value>\\n``.

    A flat struct (scalars only: every process info) is cut at its member
    boundaries by one ``split`` and each member read with three
    ``partition``s; that is the hot loop of a ``getAllProcessInfo`` answer.
    A struct holding a struct or an array is walked member by member.
    """
    end = text.find(_STRUCT_END, pos)
    flat = text[pos:end]
    if end == -1 or "<struct>" in flat or "<array>" in flat:
        return _members(text, pos)
    struct: dict[str, Any] = {}
    if not flat:
        return struct, end + len(_STRUCT_END)
    if not flat.startswith(_MEMBER) or not flat.endswith(_MEMBER_END):
        raise NotCanonical("struct")
    scalars = _SCALAR_ENDS
    # each piece: name</name>\n<value><tag>text</tag></value>\n
    for piece in flat[len(_MEMBER) : -len(_MEMBER_END)].split(_NEXT_MEMBER):
        key, _, rest = piece.partition(_NAME_END)
        tag, _, rest = rest.partition(">")
        raw, _, rest = rest.partition("<")
        known = scalars.get(tag)
        # the piece is exactly the layout: every '<' in it was one of ours
        if known is None or rest != known[0] or "<" in key:
            raise NotCanonical("member")
        if "&" in key:
            key = _unescape(key)
        struct[key] = known[1](_unescape(raw) if "&" in raw else raw)
    return struct, end + len(_STRUCT_END)


def _members(text: str, pos: int) -> tuple[dict[str, Any], int]:
    """A struct's members one at a time (a member may hold a struct or array)."""
    struct: dict[str, Any] = {}
    while text.startswith(_MEMBER, pos):
        pos += len(_MEMBER)
        end = text.find("<", pos)
        if not text.startswith(_NAME_END, end):
            raise NotCanonical("member name")
        key = text[pos:end]
        if "&" in key:
            key = _unescape(key)
        value, pos = _value(text, end + len(_NAME_END) - 8)  # back to its "<value><"
        if not text.startswith(_MEMBER_END, pos):
            raise NotCanonical("member end")
        pos += len(_MEMBER_END)
        struct[key] = value
    if not text.startswith(_STRUCT_END, pos):
        raise NotCanonical("struct end")
    return struct, pos + len(_STRUCT_END)
