"""The HTTP front end: XML-RPC served directly, everything else handed to aiohttp.

Why: supervisorctl opens one connection per call, and going through
aiohttp cost more per call than the call itself; importing aiohttp cost
minderd more memory than everything else it loads. This asyncio protocol
owns every accepted connection. The plainest XML-RPC call (see
wire.scan_head), authorised when the server has a username, is answered
here by the same call (rpc/dispatch.py) rpc_endpoint.py makes, and so are the plain GETs of
reading the web UI and of a /metrics scrape (getwire.py, lightweb.py), so
that neither loads aiohttp. Anything else — another path,
a wrong or missing password, a malformed or unusual request — is handed
over: the connection's transport is given to a protocol of this section's
aiohttp server (fallback.py) together with every byte not yet answered, so
aiohttp sees the connection as if it had accepted it and gives the answer
(status, body, throttle delay) it has always given. From then on the
connection is aiohttp's.

One call is in flight per connection; pipelined requests wait in the
buffer (reading pauses when it grows) and are answered in order. A client
that goes away during a slow call only loses the answer: the call runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from collections.abc import Coroutine
from typing import Any

from minder.http.credentials import Credentials
from minder.http.fallback import LazyAiohttp, ProtocolFactory
from minder.http.getwire import GetHead, chunk, frame, maybe_get, scan_get, stream_head
from minder.http.lightweb import LightWeb, Route, Stream
from minder.http.logsink import HttpLog
from minder.http.wire import RpcHead, Verdict, response, scan_head
from minder.rpc.dispatch import INTERNAL_ERROR, dispatch
from minder.rpc.table import RpcTable
from minder.rpc.xmlcodec import parse_request

# Unanswered bytes held while a call is in flight before reading pauses.
PAUSE_ABOVE = 64 * 1024


class FastSite:
    """What the connections of one server section share; the protocol factory."""

    def __init__(
        self,
        table: RpcTable,
        log: HttpLog,
        credentials: Credentials | None,
        fallback: LazyAiohttp,
        keepalive: float,
        light: LightWeb | None = None,
    ) -> None:
        self.table = table
        self.light = light
        self.log = log
        self.credentials = credentials
        self.fallback = fallback
        self.keepalive = keepalive
        self.connections: set[FastConnection] = set()
        # Calls in flight, held here so that a call whose client went away
        # still runs to its end (and shutdown can wait for it).
        self.calls: set[asyncio.Task[None]] = set()
        self.closing = False

    def __call__(self) -> FastConnection:
        return FastConnection(self)

    def start_call(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self.calls.add(task)
        task.add_done_callback(self._call_done)
        return task

    def _call_done(self, task: asyncio.Task[None]) -> None:
        self.calls.discard(task)
        if not task.cancelled() and task.exception() is not None:
            self.log.error(f"XML-RPC connection failed: {task.exception()!r}")

    async def close(self, grace: float) -> None:
        """Close idle connections now; give calls in flight ``grace`` seconds to answer."""
        self.closing = True
        if self.light is not None:
            self.light.close_streams()  # each stream then ends and closes its connection
        for conn in tuple(self.connections):
            if conn.call is None:
                conn.close()
        if self.calls:
            _, late = await asyncio.wait(tuple(self.calls), timeout=grace)
            for call in late:
                call.cancel()
        for conn in tuple(self.connections):
            conn.close()


class FastConnection(asyncio.Protocol):
    __slots__ = (
        "_buf",
        "_eof",
        "_head",
        "_idle",
        "_last",
        "_loop",
        "_resumed",
        "_searched",
        "_site",
        "_transport",
        "_writing_paused",
        "busy",
        "call",
        "streaming",
    )

    def __init__(self, site: FastSite) -> None:
        self._site = site
        self._loop = asyncio.get_running_loop()
        self._transport: asyncio.Transport | None = None  # None once lost or handed over
        self._buf = bytearray()
        self._searched = 0  # how far the end of the current head was looked for
        self._head: RpcHead | None = None  # the current request's, while its body arrives
        self._eof = False
        self._writing_paused = False
        self._idle: asyncio.TimerHandle | None = None
        self._last = self._loop.time()  # last sign of life, for the keep-alive timeout
        self.busy = False  # a call in flight, or a hand-over under way
        self.call: asyncio.Task[None] | None = None
        self.streaming = False  # the call is an event stream: it ends with the connection
        self._resumed: asyncio.Event | None = None  # set while writing may go on

    # --- asyncio.Protocol --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self._transport = transport
        self._site.connections.add(self)
        self._arm_idle()

    def data_received(self, data: bytes) -> None:
        self._buf += data
        self._last = self._loop.time()
        if not self.busy and not self._writing_paused:
            self._advance()
        elif len(self._buf) > PAUSE_ABOVE and self._transport is not None:
            self._transport.pause_reading()

    def eof_received(self) -> bool:
        self._eof = True
        if not self.busy and not self._writing_paused:
            self._advance()
        return True  # keep writing: a half-closed client still gets its answers

    def pause_writing(self) -> None:
        self._writing_paused = True
        if self._resumed is not None:
            self._resumed.clear()

    def resume_writing(self) -> None:
        self._writing_paused = False
        if self._resumed is not None:
            self._resumed.set()
        if not self.busy:
            self._advance()

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._site.connections.discard(self)
        self._buf.clear()
        if self.streaming and self.call is not None:
            self.call.cancel()  # nobody is listening any more
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None

    def close(self) -> None:
        if self._transport is not None:
            self._transport.close()

    # --- requests ----------------------------------------------------------

    def _advance(self) -> None:
        """Serve or hand over the request at the head of the buffer, once it is whole."""
        transport = self._transport
        if transport is None:
            return
        buf = self._buf
        if not buf:
            if self._eof:
                transport.close()
            else:
                transport.resume_reading()
            return
        head = self._head
        if head is None:
            light = self._site.light
            verdict: RpcHead | GetHead | Verdict
            if light is not None and maybe_get(buf):
                verdict = scan_get(buf, self._searched)
                if isinstance(verdict, GetHead):
                    self._serve_get(transport, light, verdict)
                    return
            else:
                verdict = scan_head(buf, self._searched)
            if verdict is Verdict.FOREIGN:
                self._hand_over()
                return
            if verdict is Verdict.INCOMPLETE:
                self._searched = len(buf)
                self._wait_for_more(transport)
                return
            assert isinstance(verdict, RpcHead)
            credentials = self._site.credentials
            if credentials is not None and credentials.check(verdict.authorization) is not True:
                self._hand_over()  # aiohttp answers 401, after the throttle's delay
                return
            head = self._head = verdict
        end = head.body_start + head.content_length
        if len(buf) < end:
            self._wait_for_more(transport)
            return
        try:
            method, params = parse_request(bytes(buf[head.body_start : end]))
        except Exception:
            self._hand_over()  # aiohttp answers 400 (or whatever it makes of it)
            return
        del buf[:end]
        self._head = None
        self._searched = 0
        self.busy = True
        self.call = self._site.start_call(self._serve(head, method, params))
        if len(buf) > PAUSE_ABOVE:
            transport.pause_reading()

    def _wait_for_more(self, transport: asyncio.Transport) -> None:
        if self._eof:
            self._hand_over()  # a truncated request: aiohttp's to judge
        else:
            transport.resume_reading()

    def _serve_get(self, transport: asyncio.Transport, light: LightWeb, head: GetHead) -> None:
        credentials = self._site.credentials
        if (
            credentials is not None
            and not light.is_public(head.path)
            and credentials.check(head.authorization) is not True
        ):
            self._hand_over()  # aiohttp answers 401, after the throttle's delay
            return
        tcp_peer = isinstance(transport.get_extra_info("peername"), tuple)
        route = light.route(head, tcp_peer)
        if route is None:
            self._hand_over()
            return
        del self._buf[: head.end]
        self._searched = 0
        self.busy = True
        if isinstance(route, Stream):
            self.streaming = True
            self.call = self._site.start_call(self._stream_get(head, route))
        else:
            self.call = self._site.start_call(self._answer_get(head, route))

    async def _stream_get(self, head: GetHead, stream: Stream) -> None:
        """An event stream: the head, then chunks as they come; the connection ends with it."""
        http11 = head.http11
        self._resumed = asyncio.Event()
        if not self._writing_paused:
            self._resumed.set()

        async def write(data: bytes) -> None:
            transport = self._transport
            if transport is None or transport.is_closing():
                raise ConnectionResetError("the client went away")
            transport.write(chunk(data, http11=http11))
            if self._resumed is not None and not self._resumed.is_set():
                await self._resumed.wait()

        transport = self._transport
        if transport is None:
            return
        transport.write(stream_head(stream.head, http11=http11))
        try:
            await stream.run(write)
        finally:
            self.call = None
            transport = self._transport
            if transport is not None and not transport.is_closing():
                if http11:
                    transport.write(chunk(b"", http11=True))  # the last chunk
                transport.close()

    async def _answer_get(self, head: GetHead, route: Route) -> None:
        try:
            answer = await route()
        except Exception as exc:
            self._site.log.error(
                f"GET {head.path} failed: {exc!r}\n"
                + "".join(traceback.format_exception(exc)).rstrip()
            )
            payload = response(
                500,
                "text/plain; charset=utf-8",
                INTERNAL_ERROR,
                http11=head.http11,
                keep_alive=False,
            )
            self._finish(payload, keep_alive=False)
            return
        keep_alive = head.keep_alive and not self._site.closing
        self._finish(
            frame(answer, http11=head.http11, keep_alive=keep_alive), keep_alive=keep_alive
        )

    async def _serve(self, head: RpcHead, method: str, params: tuple[Any, ...]) -> None:
        site = self._site
        answer = await dispatch(site.table, method, params, site.log.error)
        keep_alive = head.keep_alive and not site.closing
        self._finish(
            response(
                answer.status,
                answer.content_type,
                answer.body,
                http11=head.http11,
                keep_alive=keep_alive,
            ),
            keep_alive=keep_alive,
        )

    def _finish(self, data: bytes, *, keep_alive: bool) -> None:
        """Send a whole answer; go on with the next request or close."""
        self.call = None
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # the client went away: the call is done, the answer has nobody to go to
        transport.write(data)
        if not keep_alive:
            transport.close()
            return
        self.busy = False
        self._last = self._loop.time()
        self._arm_idle()
        if not self._writing_paused:
            self._advance()

    # --- hand-over to aiohttp ------------------------------------------------

    def _hand_over(self) -> None:
        """Give the connection and its unanswered bytes to aiohttp."""
        self.busy = True
        if self._idle is not None:
            self._idle.cancel()
            self._idle = None
        fallback = self._site.fallback
        factory = fallback.factory
        if factory is not None:
            self._switch(factory)
            return
        if self._transport is not None:
            self._transport.pause_reading()  # buffer nothing more until aiohttp is ready
        fallback.when_ready(self._switch)

    def _switch(self, factory: ProtocolFactory | None) -> None:
        transport = self._transport
        if transport is None or transport.is_closing():
            return  # the client went away meanwhile
        if factory is None or self._site.closing:
            transport.close()
            return
        self._transport = None
        self._site.connections.discard(self)
        data = bytes(self._buf)
        self._buf.clear()
        transport.resume_reading()  # aiohttp pauses it again itself if it must
        protocol = factory()
        transport.set_protocol(protocol)
        protocol.connection_made(transport)
        if self._writing_paused:
            protocol.pause_writing()
        if data:
            protocol.data_received(data)
        if self._eof and not protocol.eof_received():
            transport.close()

    # --- keep-alive timeout ------------------------------------------------

    def _arm_idle(self) -> None:
        if self._idle is None:
            self._idle = self._loop.call_at(self._last + self._site.keepalive, self._check_idle)

    def _check_idle(self) -> None:
        """Close a connection that has been silent for the keep-alive timeout.

        One timer per connection, re-armed lazily: a busy connection does
        not reset a timer on every byte.
        """
        self._idle = None
        if self._transport is None or self.busy:
            return  # lost, handed over, or a call in flight (re-armed when it answers)
        due = self._last + self._site.keepalive
        if self._loop.time() >= due:
            with contextlib.suppress(Exception):
                self._transport.close()
        else:
            self._idle = self._loop.call_at(due, self._check_idle)
