"""The shared listening socket of an ``[fcgi-program:x]`` group.

supervisord binds it once, hands it to every process as fd 0, and closes
it when the last process of the group has exited (re-creating it on the
next spawn). A reference count per running process does the same.
"""

from __future__ import annotations

import contextlib
import os
import socket

from minder.model.specs import FcgiSocketSpec


class FcgiSocket:
    def __init__(self, spec: FcgiSocketSpec) -> None:
        self.spec = spec
        self._sock: socket.socket | None = None
        self._users: set[str] = set()

    @property
    def is_open(self) -> bool:
        return self._sock is not None

    def _create(self) -> socket.socket:
        spec = self.spec
        backlog = spec.backlog or socket.SOMAXCONN
        if spec.family == "unix":
            assert spec.path is not None
            with contextlib.suppress(FileNotFoundError):
                os.unlink(spec.path)
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                sock.bind(spec.path)
                os.chmod(spec.path, spec.mode)
                if spec.owner_uid is not None:
                    os.chown(
                        spec.path,
                        spec.owner_uid,
                        spec.owner_gid if spec.owner_gid is not None else -1,
                    )
            except OSError:
                sock.close()
                raise
        else:
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
                with contextlib.suppress(OSError):
                    os.unlink(self.spec.path)
