"""Process-info structs as JSON text that XML carries without escaping.

``minder.getAllProcessInfoJSON`` (``minderctl status``) sends
``getAllProcessInfo``'s array as one JSON string inside an XML-RPC answer.
The info cache (``rpc/infocache.py``) keeps each process's JSON object in
pieces, as it keeps its XML, so that a call joins strings instead of running
``json.dumps`` over 5,000 dicts and then searching the 1.4 MB result for
characters to escape for XML.

For that the text is made XML-clean at the source, without changing the
value a JSON reader gets:

* every string goes through ``xml_safe`` first (a character XML cannot carry
  becomes U+FFFD, as it would in the ``getAllProcessInfo`` answer);
* JSON already writes control characters (``\\r`` among them) as escapes;
* ``&``, ``<`` and ``>`` are written as the JSON escapes ``\\u0026``,
  ``\\u003c`` and ``\\u003e``.
"""

from __future__ import annotations

from json.encoder import encode_basestring  # json.dumps(ensure_ascii=False)'s own
from typing import Any

from minder.rpc.xmlcodec import xml_safe

_MARKUP = (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"))


def json_string(text: str) -> str:
    """``text`` as a JSON string literal that needs no XML escaping."""
    # Printable ASCII (nearly every name, path and description) holds nothing
    # for xml_safe to replace; its regex was most of the cost of a new entry.
    safe = text if text.isascii() and text.isprintable() else xml_safe(text)
    encoded: str = encode_basestring(safe)
    if "&" in encoded or "<" in encoded or ">" in encoded:
        for char, escape in _MARKUP:
            encoded = encoded.replace(char, escape)
    return encoded


_KEYS: dict[str, str] = {}  # key -> '"key":' (the struct's few member names)


def json_members(items: dict[str, Any]) -> str:
    """``"key":value`` pairs joined by commas, for a JSON object's text.

    The values of a process-info struct are ``str`` and ``int`` only.
    """
    out = []
    keys = _KEYS
    for key, value in items.items():
        kind = type(value)
        if kind is str:
            text = json_string(value)
        elif kind is int:
            text = int.__repr__(value)
        else:
            raise TypeError(f"no JSON member for a {kind.__name__}")
        prefix = keys.get(key)
        if prefix is None:
            prefix = json_string(key) + ":"
            if len(keys) < 64:
                keys[key] = prefix
        out.append(prefix + text)
    return ",".join(out)
