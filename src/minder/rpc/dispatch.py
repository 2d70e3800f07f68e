"""One XML-RPC call, from a parsed request to the bytes of the answer.

Both HTTP paths call this: the fast path (http/fastpath.py) for the plain
requests it serves itself, and aiohttp's ``/RPC2`` handler
(http/rpc_endpoint.py) for everything handed to it. Each keeps only its own
framing; what a call answers (the result, a fault, or 500 for a bug, logged
with its traceback) is decided here once, so the two cannot drift apart.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import Any

from minder.protocol.faults import SupervisorFault
from minder.records import record
from minder.rpc.table import RpcTable
from minder.rpc.xmlcodec import dump_fault, dump_response

INTERNAL_ERROR = b"internal error, see the main log\n"


@record
class RpcAnswer:
    status: int  # 200 (a result or a fault), or 500 for a bug in a method
    content_type: str
    body: bytes


async def dispatch(
    table: RpcTable, method: str, params: tuple[Any, ...], log_error: Callable[[str], None]
) -> RpcAnswer:
    """Call ``method``; every SupervisorFault is an XML-RPC fault in a 200 answer."""
    try:
        payload = dump_response(await table.call(method, params))
    except SupervisorFault as fault:
        payload = dump_fault(int(fault.code), fault.text)
    except Exception as exc:
        log_error(
            f"XML-RPC method {method} failed: {exc!r}\n"
            + "".join(traceback.format_exception(exc)).rstrip()
        )
        return RpcAnswer(500, "text/plain; charset=utf-8", INTERNAL_ERROR)
    return RpcAnswer(200, "text/xml", payload)
