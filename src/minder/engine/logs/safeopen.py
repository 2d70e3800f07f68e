"""Open a log for appending without letting another user choose what gets written.

The daemon usually runs as root and writes logs into directories that
programs running as other users (or every local user, for ``/tmp``) can
write. Whoever can write a directory can replace a log in it between two of
our opens with a symlink or a hard link to any file, or with a FIFO, and
root would then append to (or block on) whatever they chose. So each open
goes through the log's directory descriptor and decides by who controls
that directory:

* A *trusted* directory is owned by root or by the daemon's user and
  writable by nobody else (``/var/log``, ``/dev``, a private workdir): only
  someone as privileged as we are could have planted anything there, so
  the configured name is opened as it is. ``/dev/stdout``, ``/dev/null``
  and a FIFO the administrator made keep working.
* Any other directory (group- or world-writable, or owned by another
  user): the name is opened with ``O_NOFOLLOW`` and must be a regular file
  with a single link, owned by the daemon's user or by the program's own
  user (``owner``). A symlink, a hard link to someone else's file, a FIFO
  or a device is refused with an error that says why.

Opens are non-blocking, so a FIFO with no reader fails (``ENXIO``) instead
of freezing the event loop; the descriptor is made blocking again once it
is known to be a regular file or a trusted target (writes to
``/dev/stdout`` behave as before). ``exclusive=True`` creates the file with
``O_EXCL``: used to re-create an ``AUTO`` log after rotation or clearing,
so a name planted in the gap is refused rather than adopted. There is no
``O_TRUNC``: it would act before the checks; callers truncate the
descriptor (``truncate_regular``) once it has passed them.

Symlinks in the directory part of the path are followed: the administrator
wrote that path, and a ``childlogdir`` that is a symlink is common.
"""

from __future__ import annotations

import errno
import os
import stat

_BASE_FLAGS = os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK


class UnsafeLogTarget(OSError):
    """The name exists but is not something the daemon may write to."""


def directory_is_trusted(info: os.stat_result) -> bool:
    """Only the daemon's user or root could have put anything in this directory."""
    return info.st_uid in (0, os.geteuid()) and not info.st_mode & (stat.S_IWGRP | stat.S_IWOTH)


def open_log(
    path: str,
    *,
    owner: int | None = None,
    exclusive: bool = False,
) -> int:
    """A blocking ``O_APPEND`` descriptor on ``path``; raises OSError (see the module)."""
    directory, name = os.path.split(path)
    if not name:
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    dir_fd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        trusted = directory_is_trusted(os.fstat(dir_fd))
        flags = _BASE_FLAGS
        if exclusive:
            flags |= os.O_EXCL
        if not trusted:
            flags |= os.O_NOFOLLOW
        try:
            fd = os.open(name, flags, 0o666, dir_fd=dir_fd)
        except OSError as exc:
            if exc.errno == errno.ELOOP and not trusted:
                raise UnsafeLogTarget(
                    errno.ELOOP,
                    "it is a symbolic link in a directory that other users can write; "
                    "refusing to follow it",
                    path,
                ) from None
            if exc.errno == errno.EEXIST and exclusive:
                raise UnsafeLogTarget(
                    errno.EEXIST,
                    "something else took its name while it was being re-created; "
                    "refusing to write to it",
                    path,
                ) from None
            raise
    finally:
        os.close(dir_fd)
    try:
        info = os.fstat(fd)
        if not trusted:
            _check_untrusted_target(path, info, owner)
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def usable_as_is(path: str, *, owner: int | None = None) -> bool:
    """Whether ``open_log(path, owner=owner)`` would take ``path`` as it is, told by one ``lstat``.

    A spawn makes sure each of the program's logs exists (supervisord opens
    them then); for a log that is already there, ``open_log`` and a close
    were eight system calls a log, 16 of a spawn's ~60 in a start of 500.
    True only where ``open_log`` would accept the name in any directory,
    trusted or not, and the daemon may write it: a regular file with one
    link, owned by the daemon's user or by ``owner``, and root, or the
    owner's write bit on its own file. Anything else (missing, a symlink, a
    FIFO, a device, a hard link, someone else's file) is left to
    ``open_log`` to create, follow or refuse, as before.
    """
    try:
        info = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1:
        return False
    euid = os.geteuid()
    if info.st_uid != euid and info.st_uid != owner:
        return False
    return euid == 0 or (info.st_uid == euid and bool(info.st_mode & stat.S_IWUSR))


def _check_untrusted_target(path: str, info: os.stat_result, owner: int | None) -> None:
    if not stat.S_ISREG(info.st_mode):
        raise UnsafeLogTarget(
            errno.EPERM,
            "it is not a regular file and its directory can be written by other users; "
            "refusing to write to it",
            path,
        )
    allowed = {os.geteuid()} if owner is None else {os.geteuid(), owner}
    if info.st_uid not in allowed:
        raise UnsafeLogTarget(
            errno.EPERM,
            f"it is owned by uid {info.st_uid}, not by the daemon or the program's user, "
            "in a directory that other users can write; refusing to write to it",
            path,
        )
    if info.st_nlink != 1:
        raise UnsafeLogTarget(
            errno.EPERM,
            f"it has {info.st_nlink} hard links in a directory that other users can write; "
            "refusing to write to it",
            path,
        )


def truncate_regular(fd: int) -> bool:
    """Empty the file behind ``fd`` if it is a regular file; False for FIFOs and devices.

    Clearing ``/dev/null`` or a FIFO must not turn it into a regular file
    (supervisord unlinks and re-creates whatever the name is).
    """
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        return False
    os.ftruncate(fd, 0)
    return True


def open_for_reading(path: str) -> int:
    """A read descriptor on a log that can never block the event loop.

    ``O_NONBLOCK``: opening a FIFO with no writer would otherwise wait for
    one, freezing the whole daemon on a ``/logtail`` or ``readLog``. A FIFO
    or device reports size 0 (``fstat``), so readers that go by the size
    read nothing from it.
    """
    return os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
