"""The one owner of child reaping and signalling.

Each child gets a pidfd registered with the event loop: the kernel makes it
readable when the child exits, so an exit is a readiness event like any
other and nothing polls. Signals go through ``pidfd_send_signal``, which
cannot hit a recycled pid. Where pidfds are missing (old kernels), a
SIGCHLD handler reaps every watched pid with WNOHANG instead.

Reaping goes through ``Popen.poll()`` so the Popen object learns its return
code and never warns about a child "still running" when it is collected.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
from collections.abc import Callable

ExitCallback = Callable[[int], None]  # Popen-style returncode (-N for signal N)


def pidfds_supported() -> bool:
    try:
        fd = os.pidfd_open(os.getpid())
    except (AttributeError, OSError):
        return False
    os.close(fd)
    return hasattr(signal, "pidfd_send_signal")


class _Watched:
    __slots__ = ("callback", "pidfd", "popen")

    def __init__(self, popen: subprocess.Popen[bytes], callback: ExitCallback, pidfd: int | None):
        self.popen = popen
        self.callback = callback
        self.pidfd = pidfd


class Reaper:
    def __init__(self, loop: asyncio.AbstractEventLoop, *, use_pidfd: bool | None = None) -> None:
        self._loop = loop
        self._use_pidfd = pidfds_supported() if use_pidfd is None else use_pidfd
        self._watched: dict[int, _Watched] = {}
        self._sigchld_installed = False

    @property
    def mode(self) -> str:
        return "pidfd" if self._use_pidfd else "sigchld"

    def watch(self, popen: subprocess.Popen[bytes], callback: ExitCallback) -> None:
        pid = popen.pid
        pidfd: int | None = None
        if self._use_pidfd:
            pidfd = os.pidfd_open(pid)
            self._loop.add_reader(pidfd, self._on_pidfd, pid)
        else:
            self._install_sigchld()
        self._watched[pid] = _Watched(popen, callback, pidfd)
        if not self._use_pidfd:
            # The child may have exited before we watched it.
            self._loop.call_soon(self._reap_all)

    def _install_sigchld(self) -> None:
        if not self._sigchld_installed:
            self._loop.add_signal_handler(signal.SIGCHLD, self._reap_all)
            self._sigchld_installed = True

    def _on_pidfd(self, pid: int) -> None:
        self._try_reap(pid)

    def _reap_all(self) -> None:
        for pid in list(self._watched):
            self._try_reap(pid)

    def _try_reap(self, pid: int) -> bool:
        """Collect ``pid`` if it has exited; True when it was reaped."""
        watched = self._watched.get(pid)
        if watched is None:
            return False
        code = watched.popen.poll()
        if code is None:
            return False
        del self._watched[pid]
        if watched.pidfd is not None:
            self._loop.remove_reader(watched.pidfd)
            os.close(watched.pidfd)
        watched.callback(code)
        return True

    def reap_now(self, pid: int) -> bool:
        """Reap before judging: used when a timer fires for a child that may be dead."""
        return self._try_reap(pid)

    def send_signal(self, pid: int, signum: int, *, to_group: bool = False) -> None:
        """Signal a watched child (or its process group); ESRCH is ignored."""
        watched = self._watched.get(pid)
        if watched is None:
            return  # already reaped: nothing to signal
        try:
            if to_group:
                os.killpg(pid, signum)  # the pid is unreaped, so it cannot be recycled
            elif watched.pidfd is not None:
                signal.pidfd_send_signal(watched.pidfd, signum)
            else:
                os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def close(self) -> None:
        if self._sigchld_installed:
            self._loop.remove_signal_handler(signal.SIGCHLD)
            self._sigchld_installed = False
        for watched in self._watched.values():
            if watched.pidfd is not None:
                self._loop.remove_reader(watched.pidfd)
                os.close(watched.pidfd)
        self._watched.clear()
