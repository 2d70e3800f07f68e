"""Listening sockets for [unix_http_server] and [inet_http_server].

A unix socket is bound in a private directory next to its path, given its
mode and owner there, put in listening state, and only then linked to its
final path (``minder.unixsocket``): nobody can ever connect to it with the
wrong permissions, and no step follows a name someone else could swap. A
socket left by a dead daemon is replaced; a live one (something answers on
it) is refused with supervisord's message; a path that is not a socket is
never deleted. Linking (not renaming) means a racing second daemon cannot
silently replace our socket.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat

from minder.http.logsink import HttpLog
from minder.unixsocket import private_unix_socket

BACKLOG = 1024
IN_USE_MESSAGE = (
    "Another program is already listening on a port that one of our HTTP servers "
    "is configured to use.  Shut this program down first before starting supervisord."
)


class HttpServerError(Exception):
    """An HTTP server cannot start; the message is for the operator."""


def _answers(path: str) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(2.0)
    try:
        probe.connect(path)
    except OSError:
        return False
    finally:
        probe.close()
    return True


def _clear_stale(path: str, log: HttpLog) -> None:
    try:
        mode = os.lstat(path).st_mode
    except FileNotFoundError:
        return
    if not stat.S_ISSOCK(mode):
        raise HttpServerError(f"{path} exists and is not a socket; not replacing it")
    if _answers(path):
        raise HttpServerError(IN_USE_MESSAGE)
    log.warn(f"Unlinking stale socket {path}")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


def bind_unix(path: str, mode: int, uid: int, gid: int, log: HttpLog) -> tuple[socket.socket, int]:
    """A listening unix socket at ``path``; returns it and the file's inode."""
    directory = os.path.dirname(path) or "."
    if not os.path.isdir(directory):
        raise HttpServerError(f"cannot create socket {path}: directory {directory} does not exist")
    name = os.path.basename(path)
    try:
        with private_unix_socket(path, mode, uid, gid, BACKLOG) as private:
            for _attempt in range(3):
                _clear_stale(path, log)
                try:
                    private.link_to(name)
                    break
                except FileExistsError:
                    continue
            else:
                raise HttpServerError(IN_USE_MESSAGE)
            inode = private.inode(name)
    except OSError as exc:
        raise HttpServerError(f"cannot create socket {path}: {exc.strerror or exc}") from exc
    sock = private.sock
    sock.setblocking(False)
    return sock, inode


def unlink_if_ours(path: str, inode: int) -> None:
    """Remove the socket file unless another daemon has replaced it since."""
    with contextlib.suppress(OSError):
        if os.stat(path).st_ino == inode:
            os.unlink(path)


def bind_inet(host: str | None, port: int) -> socket.socket:
    """A listening TCP socket; '' or '*' means every interface."""
    bind_host = None if host in (None, "", "*") else host
    try:
        infos = socket.getaddrinfo(
            bind_host, port, socket.AF_UNSPEC, socket.SOCK_STREAM, 0, socket.AI_PASSIVE
        )
    except socket.gaierror as exc:
        raise HttpServerError(f"cannot resolve {host!r}: {exc.strerror}") from exc
    # Prefer IPv4 for the all-interfaces case, as supervisord does.
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    family, type_, proto, _, address = infos[0]
    sock = socket.socket(family, type_, proto)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(address)
        sock.listen(BACKLOG)
    except OSError as exc:
        sock.close()
        if exc.errno in (98, 48):  # EADDRINUSE on Linux / BSD
            raise HttpServerError(IN_USE_MESSAGE) from exc
        raise HttpServerError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    sock.setblocking(False)
    return sock


def is_loopback(sock: socket.socket) -> bool:
    """True if the socket accepts connections from this host only."""
    import ipaddress  # TCP servers only: unix sockets never ask

    address = sock.getsockname()[0]
    try:
        return ipaddress.ip_address(address).is_loopback
    except ValueError:
        return False
