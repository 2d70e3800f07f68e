"""Create a listening unix socket file without ever following a path twice.

Used by ``[unix_http_server]`` and ``[fcgi-program:x]`` sockets. The
classic sequence (unlink, bind, then chmod/chown by path) lets whoever can
write the socket's directory swap the new socket for a symlink between
``bind`` and ``chown``, and root then hands them any file. Here:

1. a private directory with a random name (mode 0700, ours) is made next to
   the final path and opened; nobody else can enter it, so the socket's
   name inside it cannot be swapped;
2. the socket is bound there, and its mode and owner are set relative to
   that directory's descriptor (never through the public directory's name,
   which someone may have replaced in between: the socket would then simply
   not be found, and creation fails);
3. it listens, and only then gets its public name by ``link`` (refuse an
   existing name) or ``rename`` (replace it atomically), both relative to
   the public directory's descriptor. A rename replaces a symlink itself,
   never its target.

Nobody can connect with the wrong permissions, and no step acts on a file
someone else chose.
"""

from __future__ import annotations

import contextlib
import os
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager

_INNER = "s"


class PrivateSocket:
    """A bound, listening socket waiting for its public name."""

    def __init__(self, sock: socket.socket, parent_fd: int, private_name: str, private_fd: int):
        self.sock = sock
        self._parent_fd = parent_fd
        self._private_name = private_name
        self._private_fd = private_fd

    def link_to(self, name: str) -> None:
        """Give it ``name`` in the public directory; FileExistsError if taken."""
        os.link(_INNER, name, src_dir_fd=self._private_fd, dst_dir_fd=self._parent_fd,
                follow_symlinks=False)

    def replace(self, name: str) -> None:
        """Give it ``name``, atomically replacing whatever entry had that name."""
        os.rename(_INNER, name, src_dir_fd=self._private_fd, dst_dir_fd=self._parent_fd)

    def inode(self, name: str) -> int:
        return os.stat(name, dir_fd=self._parent_fd, follow_symlinks=False).st_ino


@contextmanager
def private_unix_socket(
    path: str, mode: int, uid: int, gid: int, backlog: int
) -> Iterator[PrivateSocket]:
    """Yield a listening socket made as the module docstring says; raises OSError.

    On leaving, the private directory is removed; the socket is closed only
    if the body raised (the caller keeps it otherwise).
    """
    directory = os.path.dirname(path) or "."
    parent_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    private_name = f".minder-{os.urandom(4).hex()}"
    private_fd = -1
    sock: socket.socket | None = None
    try:
        os.mkdir(private_name, 0o700, dir_fd=parent_fd)
        private_fd = os.open(
            private_name,
            os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC,
            dir_fd=parent_fd,
        )
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        # Short: a final path near the 107-byte AF_UNIX limit still fits.
        sock.bind(os.path.join(directory, private_name, _INNER))
        if not stat.S_ISSOCK(os.stat(_INNER, dir_fd=private_fd, follow_symlinks=False).st_mode):
            raise FileNotFoundError(f"the socket did not appear in {directory}")
        os.chmod(_INNER, mode, dir_fd=private_fd)
        if uid != -1 or gid != -1:
            os.chown(_INNER, uid, gid, dir_fd=private_fd, follow_symlinks=False)
        sock.listen(backlog)
        yield PrivateSocket(sock, parent_fd, private_name, private_fd)
    except BaseException:
        if sock is not None:
            sock.close()
        raise
    finally:
        if private_fd >= 0:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(_INNER, dir_fd=private_fd)
            os.close(private_fd)
        with contextlib.suppress(OSError):
            os.rmdir(private_name, dir_fd=parent_fd)
        os.close(parent_fd)
