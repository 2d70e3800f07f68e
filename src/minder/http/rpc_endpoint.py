"""``/RPC2``: XML-RPC over HTTP POST, as supervisord serves it.

Transport errors are HTTP statuses (bad XML → 400, GET → 400, a bug → 500);
everything a method reports is an XML-RPC fault in a 200 response.

Requests that only a browser forged by another site would send are
refused (the rule is in crosssite.py). The fast path (fastpath.py) serves
the well-formed, authorised calls without aiohttp and hands everything
else, errors included, to this handler.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Handler

from minder.http.crosssite import FORGEABLE_TYPES, cross_site_refusal
from minder.http.logsink import HttpLog
from minder.rpc.dispatch import dispatch
from minder.rpc.table import RpcTable
from minder.rpc.xmlcodec import RequestError, parse_request

__all__ = ["FORGEABLE_TYPES", "refuse_cross_site", "rpc_handler"]


def refuse_cross_site(request: web.Request) -> None:
    """403 or 415 for a request that a browser sent on behalf of another site."""
    refusal = cross_site_refusal(request.headers.get, request.content_type)
    if refusal is None:
        return
    if refusal.status == 403:
        raise web.HTTPForbidden(text=refusal.text)
    raise web.HTTPUnsupportedMediaType(text=refusal.text)


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
        answer = await dispatch(table, method, params, log.error)
        if answer.status != 200:
            raise web.HTTPInternalServerError(text=answer.body.decode())
        return web.Response(body=answer.body, content_type=answer.content_type)

    return handle_rpc
