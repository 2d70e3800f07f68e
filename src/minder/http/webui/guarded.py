"""The wrapper every JSON endpoint goes through.

It turns the exceptions handlers raise (engine faults, ApiError) into
JSON error responses, so handlers stay straight-line code. (DNS-rebound
requests never get here: the app's host guard, security.py, refuses them
on every route.)
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable

from aiohttp import web

from minder.http.webui.errors import ApiError, fault_response
from minder.protocol.faults import SupervisorFault

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def json_errors(handler: Handler) -> Handler:
    """``handler``, with faults and ApiErrors turned into JSON errors."""

    @functools.wraps(handler)
    async def wrapped(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except SupervisorFault as fault:
            return fault_response(fault)
        except ApiError as err:
            return err.response()

    return wrapped
