"""The JSON API under ``/api/v1/`` (documented in docs/api.md).

Reads are GET; every change is a POST that passes the CSRF guard. Bodies
are optional JSON objects (``{"wait": false}``, ``{"signal": "HUP"}``).
"""

from __future__ import annotations

import json
import os
from typing import Any

from aiohttp import web

from minder.engine.api import EngineAPI, LogRef
from minder.http.webui import actions
from minder.http.webui.csrf import CsrfGuard
from minder.http.webui.errors import ApiError
from minder.http.webui.guarded import json_errors
from minder.http.webui.openapi import openapi_document
from minder.http.webui.serialize import (
    daemon_json,
    diff_json,
    groups_json,
    process_json,
    processes_json,
    slice_json,
    with_usage,
)
from minder.http.webui.stream import EventStreams
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import split_namespec

PREFIX = "/api/v1"
CHANNELS = ("stdout", "stderr")
DEFAULT_LENGTH = 64 * 1024  # a log read's length when the viewer gives none


class JsonApi:
    def __init__(self, api: EngineAPI, csrf: CsrfGuard) -> None:
        self.api = api
        self.csrf = csrf
        self.streams = EventStreams(api)

    def add_routes(self, app: web.Application) -> None:
        get, post = app.router.add_get, app.router.add_post
        get(f"{PREFIX}/daemon", json_errors(self.daemon))
        get(f"{PREFIX}/csrf", json_errors(self.csrf_token))
        get(f"{PREFIX}/openapi.json", json_errors(self.openapi))
        get(f"{PREFIX}/processes", json_errors(self.processes))
        get(f"{PREFIX}/processes/{{name}}", json_errors(self.process))
        post(f"{PREFIX}/processes/{{name}}/stdin", json_errors(self.process_stdin))
        post(f"{PREFIX}/processes/{{name}}/{{action}}", json_errors(self.process_action))
        get(f"{PREFIX}/processes/{{name}}/log/{{channel}}", json_errors(self.process_log))
        get(
            f"{PREFIX}/processes/{{name}}/log/{{channel}}/download",
            json_errors(self.process_log_download),
        )
        post(f"{PREFIX}/rolling-restart", json_errors(self.rolling_restart))
        get(f"{PREFIX}/groups", json_errors(self.groups))
        get(f"{PREFIX}/groups/{{group}}", json_errors(self.group))
        post(f"{PREFIX}/groups/{{group}}/{{action}}", json_errors(self.group_action))
        post(f"{PREFIX}/all/{{action}}", json_errors(self.all_action))
        post(f"{PREFIX}/config/reread", json_errors(self.reread))
        post(f"{PREFIX}/config/update", json_errors(self.update))
        get(f"{PREFIX}/mainlog", json_errors(self.main_log))
        get(f"{PREFIX}/mainlog/download", json_errors(self.main_log_download))
        post(f"{PREFIX}/mainlog/clear", json_errors(self.main_log_clear))
        get(f"{PREFIX}/events", json_errors(self.streams.handle))
        app.on_shutdown.append(self.streams.close_all)

    # --- reads -------------------------------------------------------------
    async def daemon(self, request: web.Request) -> web.Response:
        return _json(daemon_json(self.api))

    async def csrf_token(self, request: web.Request) -> web.Response:
        # Readable only by same-origin script (no CORS headers are ever sent).
        return _json({"token": self.csrf.token})

    async def openapi(self, request: web.Request) -> web.Response:
        return _json(openapi_document())

    async def processes(self, request: web.Request) -> web.Response:
        return _json([with_usage(self.api, p) for p in processes_json(self.api)])

    async def process(self, request: web.Request) -> web.Response:
        snap = actions.resolve_process(self.api, request.match_info["name"])
        return _json(with_usage(self.api, process_json(snap)))

    async def groups(self, request: web.Request) -> web.Response:
        return _json(groups_json(self.api.snapshots()))

    async def group(self, request: web.Request) -> web.Response:
        snaps = self.api.group_snapshots(request.match_info["group"])
        found = groups_json(snaps)
        if not found:
            raise SupervisorFault(Faults.BAD_NAME, request.match_info["group"])
        return _json({**found[0], "members": [process_json(s) for s in snaps]})

    async def process_log(self, request: web.Request) -> web.Response:
        return await self._log_slice(request, self._process_log_ref(request))

    async def process_log_download(self, request: web.Request) -> web.StreamResponse:
        path = self._process_log_path(request)
        name = request.match_info["name"].replace(":", "_")
        return _download(path, f"{name}-{request.match_info['channel']}.log")

    async def main_log(self, request: web.Request) -> web.Response:
        return await self._log_slice(request, LogRef())

    async def main_log_download(self, request: web.Request) -> web.StreamResponse:
        return _download(self._main_log_path(), "minderd.log")

    # --- changes -----------------------------------------------------------
    async def process_action(self, request: web.Request) -> web.Response:
        body = await self._guarded_body(request)
        namespec = request.match_info["name"]
        action = _action(request)
        await actions.act_on_process(self.api, namespec, action, _verb_arg(action, body))
        current = actions.resolve_process(self.api, namespec)
        return _json({"ok": True, "process": process_json(current)})

    async def process_stdin(self, request: web.Request) -> web.Response:
        body = await self._guarded_body(request)
        data = body.get("data")
        if not isinstance(data, str):
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS, "data must be a string")
        group, name = actions.split_process(request.match_info["name"])
        await self.api.send_stdin(group, name, data.encode("utf-8"))
        return _json({"ok": True})

    async def group_action(self, request: web.Request) -> web.Response:
        body = await self._guarded_body(request)
        return await self._bulk(request, request.match_info["group"], body)

    async def all_action(self, request: web.Request) -> web.Response:
        body = await self._guarded_body(request)
        return await self._bulk(request, None, body)

    async def rolling_restart(self, request: web.Request) -> web.Response:
        """minder: one batch at a time, each ready before the next (engine/rollout.py)."""
        body = await self._guarded_body(request)
        names, batch = body.get("names"), body.get("batch", 1)
        if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
            raise ApiError(400, "BAD_ARGUMENTS", "names must be a non-empty list of strings")
        if not isinstance(batch, int) or isinstance(batch, bool) or batch < 1:
            raise ApiError(400, "BAD_ARGUMENTS", "batch must be a whole number of at least 1")
        steps = await self.api.rolling_restart([split_namespec(n) for n in names], batch)
        return _json({"results": [
            {"namespec": st.namespec, "outcome": st.outcome, "detail": st.detail}
            for st in steps
        ]})

    async def reread(self, request: web.Request) -> web.Response:
        await self._guarded_body(request)
        return _json(diff_json(self.api.reload_config()))

    async def update(self, request: web.Request) -> web.Response:
        await self._guarded_body(request)
        reports = await self.api.update_all()
        return _json({"results": [actions.update_json(r) for r in reports]})

    async def main_log_clear(self, request: web.Request) -> web.Response:
        await self._guarded_body(request)
        self._main_log_path()
        self.api.clear_main_log()
        return _json({"ok": True})

    # --- helpers -----------------------------------------------------------
    async def _bulk(
        self, request: web.Request, group: str | None, body: dict[str, Any]
    ) -> web.Response:
        action = _action(request)
        results = await actions.act_on_many(self.api, group, action, _verb_arg(action, body))
        return _json({"results": results})

    async def _guarded_body(self, request: web.Request) -> dict[str, Any]:
        self.csrf.check(request)
        raw = await request.read()
        if not raw.strip():
            return {}
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise ApiError(400, "BAD_REQUEST", f"body is not JSON: {exc}") from None
        except RecursionError:  # '[[[[…' a few thousand deep: the client's error, not ours
            raise ApiError(400, "BAD_REQUEST", "body is nested too deeply") from None
        if not isinstance(body, dict):
            raise ApiError(400, "BAD_REQUEST", "body must be a JSON object")
        return body

    def _process_log_ref(self, request: web.Request) -> LogRef:
        group, name = actions.split_process(request.match_info["name"])
        channel = request.match_info["channel"]
        if channel not in CHANNELS:
            raise ApiError(404, "NOT_FOUND", f"no such channel: {channel}")
        return LogRef(group, name, channel)

    async def _log_slice(self, request: web.Request, ref: LogRef) -> web.Response:
        offset = _int_param(request, "offset", None)
        length = _int_param(request, "length", DEFAULT_LENGTH) or DEFAULT_LENGTH
        return _json(slice_json(await self.api.read_log_slice(ref, offset, length)))

    def _process_log_path(self, request: web.Request) -> str:
        ref = self._process_log_ref(request)
        group, name = actions.split_process(request.match_info["name"])
        path = self.api.log_path(group, name, ref.channel)
        if not path:
            namespec = request.match_info["name"]
            raise SupervisorFault(Faults.NO_FILE, f"{namespec} has no {ref.channel} log")
        return path

    def _main_log_path(self) -> str:
        path = self.api.main_log_path()
        if not path:
            raise SupervisorFault(Faults.NO_FILE, "the main log is not a file")
        return path


def _action(request: web.Request) -> str:
    action = request.match_info["action"]
    if action not in actions.ACTIONS:
        raise ApiError(404, "NOT_FOUND", f"no such action: {action}")
    return action


def _verb_arg(action: str, body: dict[str, Any]) -> Any:
    """The signal for ``signal`` (parsed by the engine), else ``wait``."""
    return body.get("signal") if action == "signal" else bool(body.get("wait", True))


def _json(payload: Any) -> web.Response:
    return web.json_response(payload, headers={"Cache-Control": "no-store"})


def _int_param(request: web.Request, name: str, default: int | None) -> int | None:
    raw = request.query.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise ApiError(400, "BAD_REQUEST", f"{name} must be an integer") from None


def _download(path: str, filename: str) -> web.StreamResponse:
    if not os.path.exists(path):
        raise SupervisorFault(Faults.NO_FILE, path)
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "text/plain; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
