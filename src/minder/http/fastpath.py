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
over: once its whole head is in (or ``HEAD_TIMEOUT`` closes it), the
connection's transport is given to a protocol of this section's aiohttp
server (fallback.py) together with every byte not yet answered, so aiohttp
sees the connection as if it had accepted it and gives the answer (status,
body, login turn) it has always given. From then on the connection is
aiohttp's; this protocol only relays to it, so that the daemon's
connection budget (limits.py) still counts it and can close it.

Before anything is served here: on a server without credentials, a TCP
request must name us in ``Host`` (hostcheck.py); on one with credentials,
the password must be right and the login gate (logins.py) must let the
client in at once. Otherwise aiohttp answers (403, or 401/200 in turn).

One call is in flight per connection; pipelined requests wait in the
buffer (reading pauses when it grows) and are answered in order. A client
that goes away during a slow call only loses the answer: the call runs on.
"""

from __future__ import annotations

import asyncio
import contextlib
import traceback
from typing import TYPE_CHECKING, Any

from minder.http.fallback import ProtocolFactory
from minder.http.getwire import GetHead, chunk, frame, maybe_get, scan_get, stream_head
from minder.http.hostcheck import host_allowed
from minder.http.lightweb import LightWeb, Route, Stream
from minder.http.limits import HEAD_TIMEOUT, MAX_HEAD_WAIT
from minder.http.logins import peer_key_of
from minder.http.wire import RpcHead, Verdict, response, scan_head
from minder.rpc.dispatch import INTERNAL_ERROR, dispatch
from minder.rpc.xmlcodec import parse_request

if TYPE_CHECKING:
    from minder.http.fastsite import FastSite

# How long the body of a fast-path request may take once its head is in.
BODY_TIMEOUT = 30.0
# Unanswered bytes held while a call is in flight before reading pauses.
PAUSE_ABOVE = 64 * 1024


class FastConnection(asyncio.Protocol):
    __slots__ = (
        "_buf",
        "_deadline",
        "_eof",
        "_head",
        "_idle",
        "_inner",
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
        # When the request being received must be whole (its head, then its
        # body), or None between requests and during a call.
        self._deadline: float | None = self._last + HEAD_TIMEOUT
        # aiohttp's protocol, once the connection is handed over (we relay to it).
        self._inner: asyncio.Protocol | None = None
        self.busy = False  # a call in flight, or a hand-over under way
        self.call: asyncio.Task[None] | None = None
        self.streaming = False  # the call is an event stream: it ends with the connection
        self._resumed: asyncio.Event | None = None  # set while writing may go on

    # --- asyncio.Protocol --------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        sock = transport.get_extra_info("socket")
        if not self._site.budget.admit(self, sock.fileno() if sock is not None else -1):
            transport.abort()  # over the cap, and nobody can give way
            return
        self._transport = transport
        self._site.connections.add(self)
        self._arm_idle()

    @property
    def evictable(self) -> bool:
        """Anything but a call in flight (an event stream is not one) may be
        closed for a newcomer."""
        return self.call is None or self.streaming

    def evict(self) -> None:
        transport = self._transport if self._inner is None else self._handed_transport()
        if transport is not None:
            transport.abort()

    def data_received(self, data: bytes) -> None:
        if self._inner is not None:
            self._site.budget.settle(self)  # activity: the last to give way
            self._inner.data_received(data)
            return
        if not self._buf and self._deadline is None and not self.busy:
            self._must_be_whole_in(HEAD_TIMEOUT)  # a new request begins
        self._buf += data
        self._last = self._loop.time()
        if not self.busy and not self._writing_paused:
            self._advance()
        elif len(self._buf) > PAUSE_ABOVE and self._transport is not None:
            self._transport.pause_reading()

    def eof_received(self) -> bool:
        if self._inner is not None:
            return bool(self._inner.eof_received())
        self._eof = True
        if not self.busy and not self._writing_paused:
            self._advance()
        return True  # keep writing: a half-closed client still gets its answers

    def pause_writing(self) -> None:
        if self._inner is not None:
            self._inner.pause_writing()
        self._writing_paused = True
        if self._resumed is not None:
            self._resumed.clear()

    def resume_writing(self) -> None:
        if self._inner is not None:
            self._inner.resume_writing()
            return
        self._writing_paused = False
        if self._resumed is not None:
            self._resumed.set()
        if not self.busy:
            self._advance()

    def connection_lost(self, exc: Exception | None) -> None:
        self._site.budget.discard(self)
        if self._inner is not None:
            self._inner.connection_lost(exc)
            self._inner = None
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
                self._hand_over_whole_head(transport)
                return
            if verdict is Verdict.INCOMPLETE:
                self._searched = len(buf)
                self._wait_for_more(transport)
                return
            assert isinstance(verdict, RpcHead)
            if not self._may_serve(verdict.authorization, verdict.host, transport):
                self._hand_over()  # aiohttp answers (403, or 401/200 in the client's turn)
                return
            head = self._head = verdict
            self._site.budget.settle(self)
            self._deadline = self._loop.time() + BODY_TIMEOUT
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
        self._deadline = None
        self.busy = True
        self.call = self._site.start_call(self._serve(head, method, params))
        if len(buf) > PAUSE_ABOVE:
            transport.pause_reading()

    def _may_serve(
        self,
        authorization: str | None,
        host: str | None,
        transport: asyncio.Transport,
        public: bool = False,
    ) -> bool:
        """Without credentials, a Host we answer (over TCP); with them, the right
        password, and the login gate lets this client in at once (``public``
        paths, the probes, need no password)."""
        site = self._site
        names = site.host_names
        if names is not None and not host_allowed(host, names):
            return not isinstance(transport.get_extra_info("peername"), tuple)
        credentials = site.credentials
        if credentials is None or public:
            return True
        if credentials.check(authorization) is not True:
            return False
        key = peer_key_of(transport.get_extra_info("socket"), transport.get_extra_info("peername"))
        return site.gate.try_now(key)

    def _hand_over_whole_head(self, transport: asyncio.Transport) -> None:
        """Hand over once the head is whole: aiohttp has no head timeout of its own."""
        buf = self._buf
        whole = buf.find(b"\r\n\r\n", max(0, self._searched - 3)) >= 0
        if whole or self._eof or len(buf) > MAX_HEAD_WAIT:
            self._site.budget.settle(self)
            self._hand_over()
            return
        self._searched = len(buf)
        transport.resume_reading()

    def _wait_for_more(self, transport: asyncio.Transport) -> None:
        if self._eof:
            self._hand_over()  # a truncated request: aiohttp's to judge
        else:
            transport.resume_reading()

    def _serve_get(self, transport: asyncio.Transport, light: LightWeb, head: GetHead) -> None:
        self._site.budget.settle(self)
        public = light.is_public(head.path)
        if not self._may_serve(head.authorization, head.headers.get("host"), transport, public):
            self._hand_over()  # aiohttp answers (403, or 401/200 in the client's turn)
            return
        route = light.route(head)
        if route is None:
            self._hand_over()
            return
        del self._buf[: head.end]
        self._searched = 0
        self._deadline = None
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
        if self._buf:  # a pipelined request is already arriving
            self._deadline = self._last + HEAD_TIMEOUT
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
        self._inner = protocol  # the transport still calls us: we relay
        protocol.connection_made(transport)
        if self._writing_paused:
            protocol.pause_writing()
        if data:
            protocol.data_received(data)
        if self._eof and not protocol.eof_received():
            transport.close()

    # --- keep-alive timeout ------------------------------------------------

    def _handed_transport(self) -> asyncio.Transport | None:
        transport = getattr(self._inner, "transport", None)
        return transport if isinstance(transport, asyncio.Transport) else None

    def _due(self) -> float:
        due = self._last + self._site.keepalive
        return due if self._deadline is None else min(due, self._deadline)

    def _must_be_whole_in(self, seconds: float) -> None:
        """The request now arriving must be whole within ``seconds``, or the
        connection is closed (a trickled request holds nothing for long)."""
        self._deadline = self._loop.time() + seconds
        if self._idle is not None and self._idle.when() > self._deadline:
            self._idle.cancel()
            self._idle = None
        self._arm_idle()

    def _arm_idle(self) -> None:
        if self._idle is None:
            self._idle = self._loop.call_at(self._due(), self._check_idle)

    def _check_idle(self) -> None:
        """Close a connection that has been silent for the keep-alive timeout.

        One timer per connection, re-armed lazily: a busy connection does
        not reset a timer on every byte.
        """
        self._idle = None
        if self._transport is None or self.busy:
            return  # lost, handed over, or a call in flight (re-armed when it answers)
        due = self._due()
        if self._loop.time() >= due:
            with contextlib.suppress(Exception):
                self._transport.close()
        else:
            self._idle = self._loop.call_at(due, self._check_idle)
