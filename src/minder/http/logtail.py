"""``/logtail/<namespec>[/stdout|stderr]`` and ``/mainlogtail``.

What supervisorctl's ``tail -f``/``maintail -f`` read: a chunked
``text/plain`` stream that starts with the last 1024 bytes and then follows
the file until the client goes away (or the daemon stops).
"""

from __future__ import annotations

import contextlib
import email.utils
import os

from aiohttp import web
from aiohttp.typedefs import Handler

from minder.engine.api import EngineAPI, LogRef, LogStream
from minder.http.logfollow import CHUNK_BYTES, TAIL_BYTES, with_idle_ticks
from minder.http.streams import client_gone, streaming
from minder.protocol.faults import SupervisorFault
from minder.protocol.names import split_namespec

CHANNELS = ("stdout", "stderr")


async def stream_follower(
    request: web.Request, follower: LogStream, path: str | None, *, accel_header: bool
) -> web.StreamResponse:
    """Send a follower's bytes as a chunked text/plain response until the client leaves."""
    headers = {"Content-Type": "text/plain;charset=utf-8"}
    if accel_header:
        headers["X-Accel-Buffering"] = "no"
    with contextlib.suppress(OSError, TypeError):
        headers["Last-Modified"] = email.utils.formatdate(
            os.stat(path or "").st_mtime, usegmt=True
        )
    response = web.StreamResponse(headers=headers)
    if request.version >= (1, 1):
        response.enable_chunked_encoding()
    with streaming(request):
        try:
            await response.prepare(request)
            async for chunk in with_idle_ticks(follower):
                if client_gone(request):
                    break
                if chunk:
                    await response.write(chunk)
        except (ConnectionResetError, ConnectionError):
            pass
        finally:
            follower.close()
    return response


def logtail_handler(api: EngineAPI) -> Handler:
    async def handle_logtail(request: web.Request) -> web.StreamResponse:
        if request.method != "GET":
            raise web.HTTPBadRequest()
        namespec = request.match_info["namespec"]
        channel = request.match_info.get("channel", "stdout")
        if channel not in CHANNELS:
            raise web.HTTPNotFound(text=f"no such channel {channel!r}\n")
        group, name = split_namespec(namespec)
        if name is None:
            raise web.HTTPNotFound(text=f"no such process {namespec!r}\n")
        try:
            follower = api.follow_log(LogRef(group, name, channel), TAIL_BYTES, CHUNK_BYTES)
        except (SupervisorFault, OSError):
            raise web.HTTPNotFound(text=f"no {channel} log for {namespec!r}\n") from None
        return await stream_follower(
            request, follower, api.log_path(group, name, channel), accel_header=True
        )

    return handle_logtail


def mainlogtail_handler(api: EngineAPI) -> Handler:
    async def handle_mainlogtail(request: web.Request) -> web.StreamResponse:
        if request.method != "GET":
            raise web.HTTPBadRequest()
        try:
            follower = api.follow_log(LogRef(), TAIL_BYTES, CHUNK_BYTES)
        except OSError:
            raise web.HTTPNotFound(text="the main log is not a file\n") from None
        return await stream_follower(
            request, follower, api.main_log_path(), accel_header=False
        )

    return handle_mainlogtail
