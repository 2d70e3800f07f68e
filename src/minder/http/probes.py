"""``GET /healthz`` and ``GET /readyz`` for orchestrators (minder; per HTTP server).

Why they may skip credentials: a kubelet or load balancer cannot send a
password it does not have, and these answers carry nothing but a status
code and one line — no program names, pids, paths or versions — so they
reveal no more than whether the daemon is up. They are served only where
``probe_endpoints=true``, and only for GET/HEAD (no state changes).

/healthz: 200 when the daemon's event loop answers and it is RUNNING
(503 while it shuts down or restarts). /readyz: 200 when every autostart
process is ready — or, if any program is marked ``essential``, every
essential one — else 503 with how many are not.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minder.engine.api import EngineAPI
from minder.protocol.states import SupervisorState

if TYPE_CHECKING:
    from aiohttp import web
    from aiohttp.typedefs import Handler

PROBE_PATHS = frozenset({"/healthz", "/readyz"})
CONTENT_TYPE = "text/plain; charset=utf-8"
_HEADERS = {"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"}


def _answer(status: int, line: str) -> web.Response:
    from aiohttp import web  # only the aiohttp app calls this; the fast path does not

    return web.Response(status=status, text=line + "\n", headers=_HEADERS)


def readiness_line(api: EngineAPI) -> tuple[bool, str]:
    """(ready, one line) for /readyz: counts only, never names."""
    if api.supervisor_state() is not SupervisorState.RUNNING:
        return False, "not ready: the daemon is stopping"
    snaps = api.snapshots()
    essential = [s for s in snaps if s.vitals is not None and s.vitals.essential]
    watched = essential or [s for s in snaps if s.spec.autostart]
    waiting = sum(1 for s in watched if s.vitals is None or not s.vitals.ready)
    what = "essential processes" if essential else "autostart processes"
    if waiting:
        return False, f"not ready: {waiting} of {len(watched)} {what}"
    return True, f"ready: {len(watched)} {what}"


def probe_answer(api: EngineAPI, path: str) -> tuple[int, str]:
    """(HTTP status, one line) for /healthz or /readyz; the fast path serves it too."""
    if path == "/healthz":
        state = api.supervisor_state()
        if state is SupervisorState.RUNNING:
            return 200, "ok"
        return 503, f"not ok: the daemon is {state.name.lower()}"
    ready, line = readiness_line(api)
    return (200 if ready else 503), line


def healthz_handler(api: EngineAPI) -> Handler:
    async def healthz(request: web.Request) -> web.StreamResponse:
        return _answer(*probe_answer(api, "/healthz"))

    return healthz


def readyz_handler(api: EngineAPI) -> Handler:
    async def readyz(request: web.Request) -> web.StreamResponse:
        return _answer(*probe_answer(api, "/readyz"))

    return readyz
