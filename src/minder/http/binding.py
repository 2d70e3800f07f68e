"""Bind every configured HTTP server's socket, with no aiohttp in sight.

Why apart from server.py: binding is where a server fails (address in use,
a refused unauthenticated remote listener), and that must stop the daemon
before it spawns anything, as supervisord does. Serving needs aiohttp,
whose import is most of minderd's start-up time. So the daemon binds first
(stdlib only), spawns the autostart programs, and only then imports aiohttp
and serves the bound sockets (``HttpServers.serve``). A client that
connects in between waits in the listen backlog; nothing is refused.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Sequence

from minder.http.logsink import HttpLog
from minder.http.sockets import HttpServerError, bind_inet, bind_unix, is_loopback, unlink_if_ours
from minder.model.specs import HttpServerSpec, RpcInterfaceSpec
from minder.records import mutable_record

MAIN_RPC_FACTORY = "supervisor.rpcinterface:make_main_rpcinterface"


@mutable_record
class BoundServer:
    """A listening socket bound before the daemon starts serving on it."""

    spec: HttpServerSpec
    sock: socket.socket
    unix_path: str | None = None
    unix_inode: int = 0

    def close(self) -> None:
        """Release a socket that never got served."""
        with contextlib.suppress(OSError):
            self.sock.close()
        if self.unix_path:
            unlink_if_ours(self.unix_path, self.unix_inode)


def report_rpc_interfaces(rpcinterfaces: Sequence[RpcInterfaceSpec], log: HttpLog) -> None:
    for iface in rpcinterfaces:
        if iface.factory.replace(" ", "") == MAIN_RPC_FACTORY:
            log.info(f"RPC interface '{iface.name}' initialized")
        else:
            log.warn(
                f"[rpcinterface:{iface.name}] uses factory {iface.factory}, which "
                "minder does not support (it runs no Python plugins); its methods "
                "are not available"
            )


def bind_one(spec: HttpServerSpec, log: HttpLog) -> BoundServer:
    if spec.family == "unix":
        if not spec.path:
            raise HttpServerError(f"[{spec.section}] has no file")
        sock, inode = bind_unix(spec.path, spec.chmod, spec.chown_uid, spec.chown_gid, log)
        bound = BoundServer(spec, sock, spec.path, inode)
    else:
        if spec.port is None:
            raise HttpServerError(f"[{spec.section}] has no port")
        sock = bind_inet(spec.host, spec.port)
        if not spec.username and not spec.allow_unauthenticated_remote and not is_loopback(sock):
            sock.close()
            where = f"{spec.host or '*'}:{spec.port}"
            message = (
                f"Server '{spec.section}' would accept unauthenticated connections from "
                f"other hosts on {where}: refusing to start it. Set username and password "
                f"in [{spec.section}], bind it to 127.0.0.1, or set "
                "allow_unauthenticated_remote=true to accept the risk"
            )
            log.critical(message)
            raise HttpServerError(message)
        bound = BoundServer(spec, sock)
    if not spec.username:
        log.critical(f"Server '{spec.section}' running without any HTTP authentication checking")
    return bound


def bind_servers(
    specs: Sequence[HttpServerSpec],
    rpcinterfaces: Sequence[RpcInterfaceSpec],
    log: HttpLog,
) -> list[BoundServer]:
    """Report the RPC interfaces, then bind each server in order; all or nothing."""
    report_rpc_interfaces(rpcinterfaces, log)
    bound: list[BoundServer] = []
    try:
        for spec in specs:
            bound.append(bind_one(spec, log))
    except BaseException:
        for server in bound:
            server.close()
        raise
    return bound
