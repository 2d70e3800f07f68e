"""The pidfile: claimed atomically, refused while another supervisor owns it.

supervisord writes its pidfile blindly, so starting a second daemon on the
same config silently steals the pidfile (and the first one's init script
then signals the wrong process). Here a pidfile naming a live minderd or
supervisord stops the start with a clear message; one naming a dead pid,
or a pid the kernel has since given to an unrelated program, is stale and
replaced (and the caller logs that). The file is written via a temporary
file and rename, so a reader never sees it half-written, and it is removed
at exit only if it still names us. Nothing planted at the pidfile's path or
next to it (a symlink, a FIFO) is followed or blocked on.
"""

from __future__ import annotations

import contextlib
import os
import stat

from minder.engine.logs.uniquefile import create_unique

_SUPERVISOR_NAMES = ("minderd", "supervisord")


class PidfileInUse(Exception):
    """Another supervisor is running with this pidfile; the message says which."""


def read_pid(path: str) -> int | None:
    """The pid in ``path``, or None if the file is missing, empty or not a pid."""
    try:
        # Non-blocking: a FIFO planted at the path must not hang the start-up.
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NOCTTY | os.O_NONBLOCK)
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        text = os.read(fd, 64).strip()
    except OSError:
        return None
    finally:
        os.close(fd)
    try:
        pid = int(text)
    except ValueError:
        return None
    return pid if pid > 0 else None


def describe_owner(pid: int) -> str | None:
    """A short description if ``pid`` is a live minderd/supervisord, else None."""
    import psutil  # only when a pidfile names a live pid: not on every start's path

    try:
        process = psutil.Process(pid)
        if process.status() == psutil.STATUS_ZOMBIE:
            return None
        words = process.cmdline()[:3]
    except (psutil.NoSuchProcess, psutil.ZombieProcess):
        return None
    except psutil.AccessDenied:
        words = []
    for word in words:
        base = os.path.basename(word)
        for name in _SUPERVISOR_NAMES:
            if base.startswith(name):
                return f"{name} (pid {pid})"
    if any("minder.daemon" in word for word in words):
        return f"minderd (pid {pid})"
    return None


def claim_pidfile(path: str, pid: int | None = None) -> str | None:
    """Write ``<pid>\\n`` to ``path``; returns a note to log when a stale file was replaced.

    Raises PidfileInUse when the file names another live supervisor, and
    OSError when the file cannot be written.
    """
    me = os.getpid() if pid is None else pid
    note = None
    previous = read_pid(path)
    if previous is not None and previous != me:
        owner = describe_owner(previous)
        if owner is not None:
            raise PidfileInUse(
                f"pidfile {path} belongs to a running {owner}; stop it first, "
                "or give this daemon another pidfile (-j or pidfile=)"
            )
        note = f"replaced stale pidfile {path} (pid {previous} is not a running supervisor)"
    _write_atomically(path, f"{me}\n".encode())
    return note


def remove_pidfile(path: str, pid: int | None = None) -> bool:
    """Unlink ``path`` if it still names ``pid`` (default: us); True if removed."""
    me = os.getpid() if pid is None else pid
    if read_pid(path) != me:
        return False
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _write_atomically(path: str, data: bytes) -> None:
    """Write a fresh temporary file next to ``path`` and rename it over ``path``.

    The temporary name is random and created with ``O_EXCL`` (as mkstemp
    does; engine/logs/uniquefile.py), so nothing planted in a shared
    directory (``/tmp`` is supervisord's default) is followed, truncated or
    opened: a symlink or a FIFO at a guessed name is simply not that name.
    The rename replaces ``path`` itself, never what a link there points to.
    """
    directory, name = os.path.split(os.path.abspath(path))
    fd, temporary = create_unique(directory, f".{name}.", ".tmp")
    try:
        try:
            os.fchmod(fd, 0o644)
            os.write(fd, data)
        finally:
            os.close(fd)
        os.replace(temporary, path)
    except OSError:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
