"""The web UI and JSON API, mounted on the daemon's aiohttp application.

The HTTP layer calls ``register(app, api)`` once per application; its own
middleware (authentication, security headers) wraps every route added
here. Everything below goes through EngineAPI only.
"""

from __future__ import annotations

from aiohttp import web

from minder.engine.api import EngineAPI
from minder.http.webui.api_routes import JsonApi
from minder.http.webui.csrf import CsrfGuard
from minder.http.webui.pages import Pages

__all__ = ["register"]


def register(app: web.Application, api: EngineAPI, *, csrf_secret: bytes | None = None) -> None:
    """Add the dashboard, the legacy supervisord UI paths and ``/api/v1/``."""
    csrf = CsrfGuard(csrf_secret)
    JsonApi(api, csrf).add_routes(app)
    Pages(api, csrf).add_routes(app)
