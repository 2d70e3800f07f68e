"""What a Supervisor is built with when its caller gives nothing else.

The logger protocol the engine writes to, the child-log sink, and the
``SUPERVISOR_SERVER_URL`` children are given: small pieces the daemon and
the tests both need, kept out of the Supervisor so it only coordinates.
"""

from __future__ import annotations

from typing import Protocol

from minder.engine.group import SinkFactory
from minder.model.specs import RootSpec


class Logger(Protocol):
    """The level methods of MainLog (and of any stand-in)."""

    def critical(self, msg: str) -> None: ...
    def error(self, msg: str) -> None: ...
    def warn(self, msg: str) -> None: ...
    def info(self, msg: str) -> None: ...
    def debug(self, msg: str) -> None: ...
    def trace(self, msg: str) -> None: ...
    def blather(self, msg: str) -> None: ...


def default_sink_factory(log: Logger) -> SinkFactory:
    from minder.engine.logs.childlog import ChildLog

    def make(
        path: str | None,
        maxbytes: int,
        backups: int,
        ident: str | None,
        owner: int | None,
        auto: bool,
        unborn: bool,
    ) -> ChildLog:
        return ChildLog(
            path,
            maxbytes,
            backups,
            ident,
            on_error=log.error,
            lazy=True,
            owner=owner,
            exclusive=auto,
            unborn=unborn,
        )

    return make


def server_url_for(root: RootSpec) -> str | None:
    """SUPERVISOR_SERVER_URL: the first unix server, else the first inet one."""
    for server in root.http_servers:
        if server.family == "unix" and server.path:
            return f"unix://{server.path}"
    for server in root.http_servers:
        if server.family == "inet" and server.port:
            host = server.host if server.host not in (None, "", "*") else "localhost"
            return f"http://{host}:{server.port}"
    return None
