"""``/api/v1/events``: the live Server-Sent Events stream, served by aiohttp.

What the stream carries is events.py's; this adapts aiohttp's streaming
response to it. The fast path serves the same stream without aiohttp
(lightweb.py); this one serves it once aiohttp is loaded anyway and
closes every open stream when the app shuts down.
"""

from __future__ import annotations

from aiohttp import web

from minder.engine.api import EngineAPI, EventSubscription
from minder.http.webui.events import CONTENT_TYPE, HEADERS, serve_events


class EventStreams:
    """Serves the stream and closes every open one when the app shuts down."""

    def __init__(self, api: EngineAPI) -> None:
        self._api = api
        self._open: set[EventSubscription] = set()

    async def close_all(self, _app: web.Application) -> None:
        for sub in list(self._open):
            sub.close()

    async def handle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": CONTENT_TYPE, **HEADERS})

        async def write(data: bytes) -> None:
            if not response.prepared:
                await response.prepare(request)
            await response.write(data)

        await serve_events(self._api, request.query, write, self._open)
        return response
