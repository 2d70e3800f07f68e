"""Detach from the terminal — and give the launching shell a truthful exit code.

supervisord forks once and the parent exits 0 at once, so ``supervisord &&
echo ok`` prints ok even when the daemon then fails to bind its socket. Here
the parent stays until the child says it is ready (``Detached.ready()``,
called once sockets are bound and the pidfile written) and then exits 0. If
the child exits first, the parent exits with the child's own status, and
since the child keeps the terminal's stderr until it is ready, its
``Error: ...`` message reaches the user as well.

The child: setsid (a new session, no controlling terminal), chdir to
``directory`` (a failure is returned for a CRIT log line and otherwise
ignored, like supervisord), the umask, and at ready() fds 0/1/2 onto
/dev/null. fork() is only safe with one thread, so this runs before the
asyncio loop or any thread starts.
"""

from __future__ import annotations

import contextlib
import os
import sys

_READY = b"R"


class Detached:
    """The child's side: report readiness once, then stdio goes to /dev/null."""

    def __init__(self, ready_fd: int, chdir_error: str | None) -> None:
        self._fd = ready_fd
        self.chdir_error = chdir_error

    def ready(self) -> None:
        """Tell the waiting parent to exit 0, and drop the terminal's stdio."""
        if self._fd < 0:
            return
        _stdio_to_devnull()
        fd, self._fd = self._fd, -1
        with contextlib.suppress(OSError):  # the parent may be gone: nothing to tell
            os.write(fd, _READY)
        os.close(fd)


def daemonize(directory: str | None, umask: int) -> Detached:
    """Fork; in the parent this never returns (it exits with the child's verdict).

    The child must call ``ready()`` once started, or exit: until then the
    launching shell waits.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    read_fd, write_fd = os.pipe()  # both ends close-on-exec: children never hold them
    pid = os.fork()
    if pid > 0:
        os.close(write_fd)
        os._exit(_wait_for_child(read_fd, pid))
    os.close(read_fd)
    os.setsid()
    chdir_error = None
    if directory:
        try:
            os.chdir(directory)
        except OSError as exc:
            chdir_error = f"can't chdir into {directory!r}: {exc.strerror}"
    os.umask(umask)
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    return Detached(write_fd, chdir_error)


def _wait_for_child(read_fd: int, pid: int) -> int:
    """Block until the child reports ready (0) or exits (its own status)."""
    try:
        message = os.read(read_fd, 1)
    except KeyboardInterrupt:
        # Ctrl-C on the launcher: the daemon, in its own session, carries on.
        return 130
    os.close(read_fd)
    if message == _READY:
        return 0
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code == 0:
        return 1  # exited "successfully" without ever being ready: not a running daemon
    if code < 0:
        os.write(2, f"minderd: the daemon was killed by signal {-code} while starting\n".encode())
        return 1
    return code


def _stdio_to_devnull() -> None:
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    null = os.open(os.devnull, os.O_RDWR)
    for target in (0, 1, 2):
        os.dup2(null, target)
    if null > 2:
        os.close(null)
