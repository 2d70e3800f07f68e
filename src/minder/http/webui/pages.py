"""HTML pages: the dashboard and the supervisord paths people bookmarked.

``/``, ``/index.html`` and ``/tail.html`` serve the dashboard rendered on
the server with the current process table (render.py), and for
``tail.html?processname=x`` with that log's tail open, as supervisord's
pages are; the script then takes over (live table, log viewer).
supervisord's state-changing links (``/index.html?action=stop&processname=x``)
are still recognised but never act on GET: they render a page that says
what would happen and offers a POST button carrying the CSRF token. The
button posts back to the same path, which acts and redirects (303, to a
relative URL so a reverse proxy's sub-path survives) to the dashboard.

The outcome of a confirmed action is shown on the dashboard it redirects
to. The redirect carries only a random one-time notice id, never the text:
supervisord's ``?message=`` let any link put arbitrary words in an error
banner of the real UI. The confirm button is not focused on load, so a
cross-site link plus one stray key press cannot confirm it.
"""

from __future__ import annotations

import html
import secrets
from collections import OrderedDict

from aiohttp import web

from minder.engine.api import EngineAPI
from minder.http.webui import actions, render
from minder.http.webui.assets import StaticAssets
from minder.http.webui.csrf import FORM_FIELD, CsrfGuard
from minder.http.webui.errors import ApiError
from minder.http.webui.render import PAGE_HEADERS
from minder.protocol.faults import SupervisorFault

# Outcomes of confirmed legacy actions not yet shown (each is shown once).
MAX_NOTICES = 64

# supervisord's actions: (needs a process name, what the confirm button says)
LEGACY_ACTIONS: dict[str, tuple[bool, str]] = {
    "start": (True, "Start {name}"),
    "stop": (True, "Stop {name}"),
    "restart": (True, "Restart {name}"),
    "clearlog": (True, "Clear the logs of {name}"),
    "stopall": (False, "Stop all processes"),
    "restartall": (False, "Restart all processes"),
}


class Pages:
    def __init__(self, api: EngineAPI, csrf: CsrfGuard) -> None:
        self.api = api
        self.csrf = csrf
        self.assets = StaticAssets()
        self.template = render.Template(
            self.assets.template(), {"CSRF_TOKEN": csrf.token, "STATIC": self.assets.prefix()}
        )
        self._notices: OrderedDict[str, str] = OrderedDict()

    def add_routes(self, app: web.Application) -> None:
        for path in ("/", "/index.html"):
            app.router.add_get(path, self.index)
            app.router.add_post(path, self.legacy_post)
        app.router.add_get("/tail.html", self.tail)
        app.router.add_get("/ok.html", self.ok)
        self.assets.add_routes(app)

    def _page(self, title: str, body: str, status: int = 200) -> web.Response:
        return _page(title, body, self.assets.prefix(), status)

    async def ok(self, request: web.Request) -> web.Response:
        return web.Response(text="OK", content_type="text/plain")

    def _dashboard(
        self, request: web.Request, *, tail: render.Tail | None = None, status: int = 200
    ) -> web.Response:
        notice = self._notices.pop(request.query.get("notice", ""), "")
        text = render.dashboard(
            self.template,
            render.daemon_info(self.api),
            self.api.snapshots(),
            self.csrf.token,
            notice=notice,
            tail=tail,
        )
        return web.Response(
            text=text, status=status, content_type="text/html", headers=PAGE_HEADERS
        )

    async def tail(self, request: web.Request) -> web.Response:
        """supervisord's tail page: the dashboard with the last bytes of stdout open."""
        name = request.query.get("processname", "")
        if not name:
            return self._dashboard(request)
        limit = render.tail_limit(request.query.get("limit"))
        tail, status = await render.read_tail(self.api, name, limit)
        return self._dashboard(request, tail=tail, status=status)

    def _remember_notice(self, text: str) -> str:
        """Keep ``text`` for the dashboard the browser is redirected to; its id."""
        notice_id = secrets.token_urlsafe(12)
        self._notices[notice_id] = text
        while len(self._notices) > MAX_NOTICES:
            self._notices.popitem(last=False)
        return notice_id

    async def index(self, request: web.Request) -> web.Response:
        action = request.query.get("action")
        if not action or action == "refresh":
            return self._dashboard(request)
        return self._confirm_page(action, request.query.get("processname", ""))

    async def legacy_post(self, request: web.Request) -> web.Response:
        form = await request.post()
        action = str(form.get("action", ""))
        name = str(form.get("processname", ""))
        try:
            self.csrf.check(request, str(form.get(FORM_FIELD, "")))
        except ApiError as err:
            return self._page("Refused", f"<p>{html.escape(err.message)}</p>", 403)
        if action not in LEGACY_ACTIONS:
            return self._confirm_page(action, name)
        try:
            message = await self._run_legacy(action, name)
        except SupervisorFault as fault:
            message = f"ERROR: {fault.text}"
        raise web.HTTPSeeOther(location=f"./?notice={self._remember_notice(message)}")

    async def _run_legacy(self, action: str, name: str) -> str:
        if action in ("stopall", "restartall"):
            bulk = "stop" if action == "stopall" else "restart"
            results = await actions.act_on_many(self.api, None, bulk)
            failed = [r for r in results if r["statusname"] != "SUCCESS"]
            verb = "stopped" if action == "stopall" else "restarted"
            return f"All {verb}" + (f" ({len(failed)} failed)" if failed else "")
        api_action = "clear" if action == "clearlog" else action
        await actions.act_on_process(self.api, name, api_action)
        done = {"start": "started", "stop": "stopped", "restart": "restarted"}
        return f"Process {name} {done[action]}" if action in done else f"Log for {name} cleared"

    def _confirm_page(self, action: str, name: str) -> web.Response:
        known = LEGACY_ACTIONS.get(action)
        if known is None or (known[0] and not name):
            problem = "Unknown action" if known is None else "No process named for action"
            body = (
                f"<p>{problem} <code>{html.escape(action)}</code>.</p>"
                '<p><a class="btn" href="./">Open the dashboard</a></p>'
            )
            return self._page(problem, body, 400)
        label = known[1].format(name=name)
        body = f"""
<p>This link comes from supervisord's web interface, which changed state on a
plain link. minder never acts on a link (another site could make your browser
follow it); confirm below to go ahead.</p>
<form method="post" action="">
  <input type="hidden" name="action" value="{html.escape(action)}">
  <input type="hidden" name="processname" value="{html.escape(name)}">
  <input type="hidden" name="{FORM_FIELD}" value="{html.escape(self.csrf.token)}">
  <button type="submit" class="btn btn-primary">{html.escape(label)}</button>
  <a class="btn" href="./">Cancel</a>
</form>"""
        return self._page(f"Confirm: {label}", body)


def _page(title: str, body: str, static: str, status: int) -> web.Response:
    text = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · minder</title>
<link rel="stylesheet" href="{static}/app.css">
<script src="{static}/js/theme.js"></script>
</head><body class="plain-page"><main class="card narrow">
<h1>{html.escape(title)}</h1>{body}
</main></body></html>"""
    return web.Response(text=text, status=status, content_type="text/html", headers=PAGE_HEADERS)
