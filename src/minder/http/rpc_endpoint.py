"""``/RPC2``: XML-RPC over HTTP POST, as supervisord serves it.

Transport errors are HTTP statuses (bad XML → 400, GET → 400, a bug → 500);
everything a method reports is an XML-RPC fault in a 200 response.

XML-RPC clients (supervisorctl, xmlrpc.client, superlance) are not
browsers, but a browser can be made to POST to ``/RPC2`` by any web page
(a form or a no-cors fetch with ``text/plain``), and supervisord runs such
a call. We refuse what only a forged browser request looks like: a
cross-site ``Sec-Fetch-Site``, an ``Origin`` that is not this server, or a
body type a page may send without a CORS preflight.
"""

from __future__ import annotations

import traceback
from urllib.parse import urlsplit

from aiohttp import web
from aiohttp.typedefs import Handler

from minder.http.logsink import HttpLog
from minder.protocol.faults import SupervisorFault
from minder.rpc.table import RpcTable
from minder.rpc.xmlcodec import RequestError, dump_fault, dump_response, parse_request

# Content types a cross-site page can POST without a CORS preflight.
FORGEABLE_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)


def refuse_cross_site(request: web.Request) -> None:
    """403 for a request that a browser sent on behalf of another site."""
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise web.HTTPForbidden(text=f"cross-site XML-RPC request refused ({fetch_site})\n")
    origin = request.headers.get("Origin")
    if origin is not None:
        host = request.headers.get("Host", "").lower()
        forwarded = {
            h.strip().lower() for h in request.headers.get("X-Forwarded-Host", "").split(",")
        }
        try:
            netloc = urlsplit(origin).netloc.lower()
        except ValueError:
            netloc = ""
        if not netloc or (netloc != host and netloc not in forwarded):
            raise web.HTTPForbidden(text=f"XML-RPC request from origin {origin!r} refused\n")
    if request.content_type in FORGEABLE_TYPES:
        raise web.HTTPUnsupportedMediaType(
            text=f"XML-RPC bodies must be text/xml, not {request.content_type}\n"
        )


def rpc_handler(table: RpcTable, log: HttpLog) -> Handler:
    async def handle_rpc(request: web.Request) -> web.StreamResponse:
        if request.method != "POST":
            raise web.HTTPBadRequest(text="XML-RPC calls must be POSTed\n")
        refuse_cross_site(request)
        body = await request.read()
        try:
            method, params = parse_request(body)
        except RequestError as exc:
            raise web.HTTPBadRequest(text=f"{exc}\n") from None
        try:
            payload = dump_response(await table.call(method, params))
        except SupervisorFault as fault:
            payload = dump_fault(int(fault.code), fault.text)
        except Exception as exc:
            log.error(
                f"XML-RPC method {method} failed: {exc!r}\n"
                + "".join(traceback.format_exception(exc)).rstrip()
            )
            raise web.HTTPInternalServerError(text="internal error, see the main log\n") from None
        return web.Response(body=payload, content_type="text/xml")

    return handle_rpc
