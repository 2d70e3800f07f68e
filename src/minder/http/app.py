"""The aiohttp application of one HTTP server section.

Routes, in supervisord's order: ``/RPC2*`` (XML-RPC), ``/logtail/…``,
``/mainlogtail``, then whatever the web UI registers. Hygiene, auth and
the security headers are app-wide, so they cover the web UI's routes too.
"""

from __future__ import annotations

from aiohttp import web
from aiohttp.typedefs import Middleware

from minder.engine.api import EngineAPI
from minder.http import streams
from minder.http.auth import Credentials, LoginGate, basic_auth_middleware
from minder.http.hostcheck import allowed_names
from minder.http.logsink import HttpLog
from minder.http.logtail import logtail_handler, mainlogtail_handler
from minder.http.metrics import metrics_handler
from minder.http.probes import PROBE_PATHS, healthz_handler, readyz_handler
from minder.http.rpc_endpoint import rpc_handler
from minder.http.security import (
    MAX_BODY_BYTES,
    add_security_headers,
    host_guard,
    request_hygiene,
)
from minder.http.webui import register as register_webui
from minder.model.specs import HttpServerSpec
from minder.rpc.methods import build_table
from minder.rpc.table import RpcTable

API_KEY: web.AppKey[EngineAPI] = web.AppKey("minder_api")
SPEC_KEY: web.AppKey[HttpServerSpec] = web.AppKey("minder_http_spec")
RPC_TABLE_KEY: web.AppKey[RpcTable] = web.AppKey("minder_rpc_table")


def build_app(
    api: EngineAPI,
    spec: HttpServerSpec,
    log: HttpLog,
    *,
    table: RpcTable | None = None,
    gate: LoginGate | None = None,
    csrf_token: str | None = None,
) -> web.Application:
    middlewares: list[Middleware] = [request_hygiene]
    if not spec.username:
        middlewares.append(host_guard(allowed_names(spec.host)))
    if spec.username:
        credentials = Credentials(spec.username, spec.password)
        public = PROBE_PATHS if spec.probe_endpoints else frozenset()
        middlewares.append(
            basic_auth_middleware(credentials, gate or LoginGate(), public=public)
        )
    app = web.Application(middlewares=middlewares, client_max_size=MAX_BODY_BYTES)
    app.on_response_prepare.append(add_security_headers)
    streams.install(app)
    if table is None:
        table = build_table(api)
    app[API_KEY] = api
    app[SPEC_KEY] = spec
    app[RPC_TABLE_KEY] = table

    app.router.add_route("*", "/RPC2{rest:.*}", rpc_handler(table, log))
    app.router.add_route("*", "/logtail/{namespec}", logtail_handler(api))
    app.router.add_route("*", "/logtail/{namespec}/{channel}", logtail_handler(api))
    app.router.add_route("*", "/mainlogtail", mainlogtail_handler(api))
    app.router.add_get(
        "/metrics", metrics_handler(api)
    )  # Prometheus; minder only (lightweb.py too)
    if spec.probe_endpoints:  # minder: for orchestrators, without credentials
        app.router.add_get("/healthz", healthz_handler(api))
        app.router.add_get("/readyz", readyz_handler(api))

    register_webui(app, api, csrf_token=csrf_token)
    return app
