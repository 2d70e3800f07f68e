"""The GET routes the fast path answers itself, so that reading the UI loads no aiohttp.

Why: aiohttp costs minderd ~20 MB of resident memory for as long as it
runs, and before this the first look at the dashboard or the first
Prometheus scrape loaded it. What a reader does is served here instead:
the server-rendered pages (``/``, ``/index.html``, ``/tail.html``,
``/ok.html``), the UI's static files, ``/metrics`` and the JSON reads the
page makes on load (``/api/v1/daemon``, ``/api/v1/processes``). Whatever
changes state (every POST), the live event stream, the log API, and any
request these routes are not sure about go to aiohttp as before, which
then stays loaded.

Each answer is the one the aiohttp route gives (same renderer, same JSON,
same headers). Authentication and the DNS-rebinding Host check happen
before this (fastpath.py: a request that would be refused is handed over so
that aiohttp words the refusal), and the pages carry the server's one CSRF
token, which the aiohttp app, once loaded, checks.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from minder.engine.api import EngineAPI, EventSubscription
from minder.http.getwire import Answer, GetHead
from minder.records import record

if TYPE_CHECKING:
    from minder.http.webui.assets import StaticAssets
    from minder.http.webui.render import Template

Route = Callable[[], Awaitable[Answer]]
Write = Callable[[bytes], Awaitable[None]]


@record
class Stream:
    """A streamed answer: ``head`` (its body ignored), then whatever ``run`` writes."""

    head: Answer
    run: Callable[[Write], Awaitable[None]]
PAGES = frozenset({"/", "/index.html", "/tail.html"})
JSON_TYPE = "application/json; charset=utf-8"
NO_STORE = (("Cache-Control", "no-store"),)


class LightWeb:
    """One HTTP server section's light routes; built at start, filled on first use."""

    def __init__(self, api: EngineAPI, csrf_token: str, probe_endpoints: bool = False) -> None:
        self.api = api
        self.csrf_token = csrf_token
        self.probe_endpoints = probe_endpoints  # minder: /healthz, /readyz (http/probes.py)
        self._assets: StaticAssets | None = None
        self._template: Template | None = None
        self.streams: set[EventSubscription] = set()  # open event streams

    def is_public(self, path: str) -> bool:
        """Served without credentials: /healthz and /readyz where enabled."""
        return self.probe_endpoints and path in ("/healthz", "/readyz")

    def route(self, head: GetHead) -> Route | Stream | None:
        """The answer for ``head``, or None to hand the request to aiohttp."""
        path = head.path
        if path in PAGES:
            if "notice" in head.query or head.query.get("action", "refresh") != "refresh":
                return None  # the confirm page and one-time notices are aiohttp's
            return lambda: self._page(head)
        if self.is_public(path):
            return lambda: self._probe(path)
        if path == "/ok.html":
            return _ready(Answer(200, "text/plain; charset=utf-8", b"OK"))
        if path == "/metrics":
            return self._metrics
        if path == "/api/v1/daemon":
            return lambda: self._json("daemon")
        if path == "/api/v1/processes":
            return lambda: self._json("processes")
        if path == "/api/v1/events":
            return self._events(head)
        if path.startswith("/static/"):
            return self._static(head)
        return None

    # --- answers ---------------------------------------------------------------

    def _static(self, head: GetHead) -> Route | None:
        version, _, name = head.path[len("/static/") :].partition("/")
        assets = self.assets()
        asset = assets.find(name) if version and name else None
        if asset is None:
            return None  # aiohttp's 404
        headers = assets.cache_headers(version)
        if head.headers.get("if-none-match") == headers["ETag"]:
            return _ready(Answer(304, "", b"", tuple(headers.items())))
        kind = f"{asset.content_type}; charset=utf-8" if asset.textual else asset.content_type
        return _ready(Answer(200, kind, asset.body, tuple(headers.items())))

    async def _page(self, head: GetHead) -> Answer:
        from minder.http.webui import render

        tail = None
        status = 200
        name = head.query.get("processname", "")
        if head.path == "/tail.html" and name:
            limit = render.tail_limit(head.query.get("limit"))
            tail, status = await render.read_tail(self.api, name, limit)
        text = render.dashboard(
            self.template(),
            render.daemon_info(self.api),
            self.api.snapshots(),
            self.csrf_token,
            tail=tail,
        )
        headers = tuple(render.PAGE_HEADERS.items())
        return Answer(status, "text/html; charset=utf-8", text.encode("utf-8"), headers)

    def _events(self, head: GetHead) -> Stream:
        from minder.http.webui import events

        async def run(write: Write) -> None:
            await events.serve_events(self.api, head.query, write, self.streams)

        return Stream(Answer(200, events.CONTENT_TYPE, b"", tuple(events.HEADERS.items())), run)

    def close_streams(self) -> None:
        """Shutting down: end every event stream (as aiohttp's app does on shutdown)."""
        for sub in list(self.streams):
            sub.close()

    async def _metrics(self) -> Answer:
        from minder.http import metrics

        text = await metrics.scrape(self.api)
        return Answer(200, metrics.CONTENT_TYPE, text.encode(), NO_STORE)

    async def _probe(self, path: str) -> Answer:
        from minder.http.probes import CONTENT_TYPE, probe_answer

        status, line = probe_answer(self.api, path)
        return Answer(status, CONTENT_TYPE, (line + "\n").encode(), NO_STORE)

    async def _json(self, what: str) -> Answer:
        from minder.http.webui.serialize import daemon_json, processes_json, with_usage

        payload: Any = (
            daemon_json(self.api) if what == "daemon"
            else [with_usage(self.api, p) for p in processes_json(self.api)]
        )
        return Answer(200, JSON_TYPE, json.dumps(payload).encode("utf-8"), NO_STORE)

    # --- built on first use ------------------------------------------------------

    def assets(self) -> StaticAssets:
        if self._assets is None:
            from minder.http.webui.assets import StaticAssets

            self._assets = StaticAssets()
        return self._assets

    def template(self) -> Template:
        if self._template is None:
            from minder.http.webui.render import Template

            assets = self.assets()
            fixed = {"CSRF_TOKEN": self.csrf_token, "STATIC": assets.prefix()}
            self._template = Template(assets.template(), fixed)
        return self._template


def _ready(answer: Answer) -> Route:
    async def give() -> Answer:
        return answer

    return give
