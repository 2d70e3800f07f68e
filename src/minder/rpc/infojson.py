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


def info_head(info: dict[str, Any]) -> str:
    """A process-info object's text up to its ``now`` value: ``{"name":…,"now":``.

    Written out member by member rather than in a loop over the items: the
    first call after a start burst makes one per process (5,000 at scale),
    and a loop's per-member dispatch was half of that. The members and
    their order are ``structs.process_info``'s; the info cache's unit tests
    compare the decoded objects, order included, with it.
    """
    js = json_string
    return (
        f'{{"name":{js(info["name"])},"group":{js(info["group"])},'
        f'"start":{int(info["start"])},"stop":{int(info["stop"])},"now":'
    )


def info_middle(info: dict[str, Any]) -> str:
    """The text between ``now``'s value and ``description``: ``,"state":…,"pid":N``."""
    js = json_string
    return (
        f',"state":{int(info["state"])},"statename":{js(info["statename"])},'
        f'"spawnerr":{js(info["spawnerr"])},"exitstatus":{int(info["exitstatus"])},'
        f'"logfile":{js(info["logfile"])},"stdout_logfile":{js(info["stdout_logfile"])},'
        f'"stderr_logfile":{js(info["stderr_logfile"])},"pid":{int(info["pid"])}'
    )
