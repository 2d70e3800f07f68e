"""Enter a program's ``directory=`` with the permissions of its ``user=``.

The child changes directory before it drops root (``subprocess`` does
``chdir`` before ``setuid``, and ``preexec_fn`` is not an option in a
threaded daemon), so without care a ``user=nobody`` program could start
inside a directory nobody may reach, and read what is below it.
supervisord changes directory after dropping privileges and fails with
EACCES; so does minder, by resolving the path itself, component by
component, checking the search permission of the target user on each
directory it passes (as the kernel would: owner, then group, then other
bits; root passes), and following symlinks the same way. The result is a
descriptor on the very directory that was checked; the child enters it
through ``/proc/self/fd/N``, so a name swapped after the check changes
nothing.

POSIX ACLs and capabilities other than root's are not consulted: a
directory that only an ACL opens to the user is refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections import deque
from collections.abc import Iterator, Sequence
from contextlib import contextmanager

_MAX_LINKS = 40  # the kernel's limit on symlinks in one lookup
_PATH_FLAGS = os.O_PATH | os.O_CLOEXEC | os.O_NOFOLLOW


def _may_search(info: os.stat_result, uid: int, gid: int, groups: Sequence[int]) -> bool:
    if uid == 0:
        return True
    if info.st_uid == uid:
        return bool(info.st_mode & stat.S_IXUSR)
    if info.st_gid == gid or info.st_gid in groups:
        return bool(info.st_mode & stat.S_IXGRP)
    return bool(info.st_mode & stat.S_IXOTH)


def open_directory_as(
    directory: str, uid: int, gid: int, groups: Sequence[int]
) -> int:
    """An ``O_PATH`` descriptor on ``directory`` as ``uid`` could reach it; raises OSError."""
    path = os.path.join(os.getcwd(), directory)
    fd = os.open("/", _PATH_FLAGS | os.O_DIRECTORY)
    parts = deque(path.split("/"))
    links = 0
    try:
        while True:
            info = os.fstat(fd)
            if not stat.S_ISDIR(info.st_mode):
                raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), directory)
            if not _may_search(info, uid, gid, groups):
                raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), directory)
            name = ""
            while parts and name in ("", "."):
                name = parts.popleft()
            if name in ("", "."):
                return fd
            child = os.open(name, _PATH_FLAGS, dir_fd=fd)
            if stat.S_ISLNK(os.fstat(child).st_mode):
                os.close(child)
                links += 1
                if links > _MAX_LINKS:
                    raise OSError(errno.ELOOP, os.strerror(errno.ELOOP), directory)
                target = os.readlink(name, dir_fd=fd)
                parts.extendleft(reversed(target.split("/")))
                if target.startswith("/"):
                    os.close(fd)
                    fd = os.open("/", _PATH_FLAGS | os.O_DIRECTORY)
                continue
            os.close(fd)
            fd = child
    except BaseException:
        os.close(fd)
        raise


@contextmanager
def working_directory_for(
    directory: str | None, uid: int | None, gid: int | None, groups: Sequence[int] | None
) -> Iterator[str | None]:
    """The ``cwd`` to give ``Popen``: the checked directory itself while the body runs.

    Without a ``user=`` to switch to (or as that user already) the path is
    used as it is: the child's own ``chdir`` then has the right permissions.
    """
    if directory is None or uid is None or gid is None or not os.path.isdir("/proc/self/fd"):
        yield directory
        return
    fd = open_directory_as(directory, uid, gid, groups or ())
    try:
        yield f"/proc/self/fd/{fd}"
    finally:
        with contextlib.suppress(OSError):
            os.close(fd)
