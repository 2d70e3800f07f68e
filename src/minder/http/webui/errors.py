"""JSON error responses: HTTP status plus ``{code, name, message}``.

Engine failures keep supervisord's fault code and name (so a script can
switch on ``BAD_NAME`` the same way over XML-RPC and JSON); failures that
are not faults (CSRF, bad JSON) use the HTTP status as their code, which
cannot collide with a fault code (all below 100).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from minder.protocol.faults import Faults, SupervisorFault

if TYPE_CHECKING:
    from aiohttp import web

FAULT_STATUS: dict[Faults, int] = {
    Faults.UNKNOWN_METHOD: 404,
    Faults.INCORRECT_PARAMETERS: 400,
    Faults.BAD_ARGUMENTS: 400,
    Faults.SIGNATURE_UNSUPPORTED: 400,
    Faults.SHUTDOWN_STATE: 503,
    Faults.BAD_NAME: 404,
    Faults.BAD_SIGNAL: 400,
    Faults.NO_FILE: 404,
    Faults.NOT_EXECUTABLE: 422,
    Faults.FAILED: 500,
    Faults.ABNORMAL_TERMINATION: 500,
    Faults.SPAWN_ERROR: 500,
    Faults.ALREADY_STARTED: 409,
    Faults.NOT_RUNNING: 409,
    Faults.ALREADY_ADDED: 409,
    Faults.STILL_RUNNING: 409,
    Faults.CANT_REREAD: 422,
}


def error_response(status: int, code: int, name: str, message: str) -> web.Response:
    from aiohttp import web  # here: ApiError is raised on aiohttp-free paths too

    return web.json_response(
        {"code": code, "name": name, "message": message},
        status=status,
        headers={"Cache-Control": "no-store"},
    )


def fault_response(fault: SupervisorFault) -> web.Response:
    status = FAULT_STATUS.get(fault.code, 500)
    return error_response(status, int(fault.code), fault.code.name, fault.text)


class ApiError(Exception):
    """A request the API refuses for a reason that is not an engine fault."""

    def __init__(self, status: int, name: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.name = name
        self.message = message

    def response(self) -> web.Response:
        return error_response(self.status, self.status, self.name, self.message)
