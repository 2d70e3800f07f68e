"""The shared listening socket of an ``[fcgi-program:x]`` group.

supervisord binds it once, hands it to every process as fd 0, and closes
it when the last process of the group has exited (re-creating it on the
next spawn). A reference count per running process does the same.

A unix socket is made by ``minder.unixsocket``: bound in a private
directory, its mode and owner set there, then renamed over the configured
path. supervisord unlinks, binds, then chmods and chowns by path, so the
program's user could swap the new socket for a symlink and be handed any
root-owned file.
"""

from __future__ import annotations

import contextlib
import os
import socket

from minder.model.specs import FcgiSocketSpec
from minder.unixsocket import private_unix_socket


class FcgiSocket:
    def __init__(self, spec: FcgiSocketSpec) -> None:
        self.spec = spec
        self._sock: socket.socket | None = None
        self._users: set[str] = set()
        self._inode = -1

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def _create(self) -> socket.socket:
        spec = self.spec
        backlog = spec.backlog or socket.SOMAXCONN
        if spec.family == "unix":
            assert spec.path is not None
            uid = spec.owner_uid if spec.owner_uid is not None else -1
            gid = spec.owner_gid if spec.owner_gid is not None and uid != -1 else -1
            with private_unix_socket(spec.path, spec.mode, uid, gid, backlog) as private:
                # Atomically replaces whatever had the name, as supervisord's unlink+bind.
                private.replace(os.path.basename(spec.path))
                self._inode = private.inode(os.path.basename(spec.path))
            return private.sock
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((spec.host or "", spec.port or 0))
        except OSError:
            sock.close()
            raise
        sock.listen(backlog)
        return sock

    def open(self) -> None:
        """Bind now (group creation), so a bad address fails early."""
        if self._sock is None:
            self._sock = self._create()

    def acquire(self, user: str) -> int:
        """The fd to pass as the child's stdin; binds if closed."""
        self.open()
        assert self._sock is not None
        self._users.add(user)
        return self._sock.fileno()

    def release(self, user: str) -> None:
        """A process stopped using the socket; the last one closes it."""
        self._users.discard(user)
        if not self._users:
            self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            if self.spec.family == "unix" and self.spec.path:
                with contextlib.suppress(OSError):  # only if it is still our socket
                    if os.lstat(self.spec.path).st_ino == self._inode:
                        os.unlink(self.spec.path)
