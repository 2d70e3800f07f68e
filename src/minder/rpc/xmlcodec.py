"""XML-RPC request parsing and response marshalling, hardened.

Why not plain ``xmlrpc.client.loads/dumps``:

* Requests come from the network. We drive expat ourselves so that a
  DOCTYPE (the door to billion-laughs and external entities) is refused
  outright and element nesting is bounded; the standard Unmarshaller then
  builds the values from the events we pass through.
* Replies may carry integers above 2**31-1 (``stdout_logfile_maxbytes=3GB``);
  supervisord answers those with HTTP 500. We emit ``<i8>``, which
  ``xmlrpc.client`` (and so supervisorctl) reads back as a plain int.
* Replies carry log data, which may hold bytes that are not UTF-8 or
  control characters XML 1.0 cannot represent. Such characters become
  U+FFFD so the document is always well-formed; ``\\r`` is kept as ``&#13;``.
"""

from __future__ import annotations

import re
import xmlrpc.client
from collections.abc import Callable
from typing import Any
from xml.parsers import expat

MAX_DEPTH = 64
INT32_MIN = -(2**31)
INT32_MAX = 2**31 - 1
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_Write = Callable[[str], object]
_NOT_XML_CHAR = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class RequestError(ValueError):
    """The request body is not an acceptable XML-RPC call (HTTP 400)."""


def xml_safe(text: str) -> str:
    """Replace every character XML 1.0 cannot carry with U+FFFD."""
    return _NOT_XML_CHAR.sub("\ufffd", text)


def parse_request(body: bytes) -> tuple[str, tuple[Any, ...]]:
    """Return ``(method name, params)`` of a ``<methodCall>``."""
    target = xmlrpc.client.Unmarshaller(use_builtin_types=True)
    target.xml(None, None)  # type: ignore[arg-type]  # as ExpatParser does: expat hands us str, not bytes
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
        params = target.close()
        method = target.getmethodname()
    except RequestError:
        raise
    except Exception as exc:  # expat, Unmarshaller and value errors alike
        raise RequestError(f"malformed XML-RPC request: {exc}") from exc
    if not isinstance(method, str) or not method:
        raise RequestError("no methodName in request")
    return method, tuple(params)


def _dump_int(marshaller: xmlrpc.client.Marshaller, value: int, write: _Write) -> None:
    if INT32_MIN <= value <= INT32_MAX:
        write(f"<value><int>{value}</int></value>\n")
    elif INT64_MIN <= value <= INT64_MAX:
        write(f"<value><i8>{value}</i8></value>\n")
    else:
        raise OverflowError("int exceeds XML-RPC limits")


def _dump_str(marshaller: xmlrpc.client.Marshaller, value: str, write: _Write) -> None:
    write("<value><string>")
    write(xmlrpc.client.escape(xml_safe(value)).replace("\r", "&#13;"))
    write("</string></value>\n")


def _marshaller() -> xmlrpc.client.Marshaller:
    """A Marshaller with wide ints and XML-safe strings (see module doc)."""
    marshaller = xmlrpc.client.Marshaller("utf-8", allow_none=False)
    dispatch = dict(marshaller.dispatch)
    dispatch[int] = _dump_int
    dispatch[str] = _dump_str
    marshaller.dispatch = dispatch
    return marshaller


def dump_response(value: Any) -> bytes:
    """A ``<methodResponse>`` holding one value."""
    body = _marshaller().dumps((value,))
    return (
        "<?xml version='1.0'?>\n<methodResponse>\n" + body + "</methodResponse>\n"
    ).encode("utf-8")


def dump_fault(code: int, text: str) -> bytes:
    """A ``<methodResponse>`` holding a fault."""
    body = _marshaller().dumps(
        xmlrpc.client.Fault(code, xml_safe(text))
    )
    return ("<?xml version='1.0'?>\n<methodResponse>\n" + body + "</methodResponse>\n").encode(
        "utf-8"
    )
