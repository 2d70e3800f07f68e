"""XML-RPC fault codes of supervisord 4.3 and the error that carries them.

Fault strings are ``NAME`` or ``NAME: extra`` (``BAD_NAME: foo``); clients
such as supervisorctl match on the code, humans read the string.
"""

from __future__ import annotations

from enum import IntEnum


class Faults(IntEnum):
    UNKNOWN_METHOD = 1
    INCORRECT_PARAMETERS = 2
    BAD_ARGUMENTS = 3
    SIGNATURE_UNSUPPORTED = 4
    SHUTDOWN_STATE = 6
    BAD_NAME = 10
    BAD_SIGNAL = 11
    NO_FILE = 20
    NOT_EXECUTABLE = 21
    FAILED = 30
    ABNORMAL_TERMINATION = 40
    SPAWN_ERROR = 50
    ALREADY_STARTED = 60
    NOT_RUNNING = 70
    SUCCESS = 80
    ALREADY_ADDED = 90
    STILL_RUNNING = 91
    CANT_REREAD = 92


def fault_string(code: Faults, extra: str | None = None) -> str:
    """Render a fault the way supervisord does: ``NAME`` or ``NAME: extra``."""
    if extra:
        return f"{code.name}: {extra}"
    return code.name


class SupervisorFault(Exception):
    """An error any layer may raise that maps 1:1 onto an XML-RPC Fault.

    The engine raises it (BAD_NAME, ALREADY_STARTED, ...); the rpc layer turns
    it into ``xmlrpc.client.Fault(code, fault_string(code, extra))``; the JSON
    API turns it into an HTTP error with the same code and text.
    """

    def __init__(self, code: Faults, extra: str | None = None) -> None:
        self.code = code
        self.extra = extra
        super().__init__(fault_string(code, extra))

    @property
    def text(self) -> str:
        return fault_string(self.code, self.extra)
