"""The web UI and JSON API, mounted on the daemon's aiohttp application.

The HTTP layer calls ``register(app, api)`` once per application; its own
middleware (authentication, security headers) wraps every route added
here. Everything below goes through EngineAPI only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minder.engine.api import EngineAPI

if TYPE_CHECKING:
    from aiohttp import web

__all__ = ["register"]


def register(
    app: web.Application,
    api: EngineAPI,
    *,
    csrf_secret: bytes | None = None,
    csrf_token: str | None = None,
) -> None:
    """Add the dashboard, the legacy supervisord UI paths and ``/api/v1/``.

    The imports are here, not at the top, so that the fast path can use
    this package's aiohttp-free modules (render, assets, csrf) without
    loading aiohttp. ``csrf_token`` is the one the fast path's pages carry.
    """
    from minder.http.webui.api_routes import JsonApi
    from minder.http.webui.csrf import CsrfGuard
    from minder.http.webui.pages import Pages

    csrf = CsrfGuard(csrf_secret, token=csrf_token)
    JsonApi(api, csrf).add_routes(app)
    Pages(api, csrf).add_routes(app)
