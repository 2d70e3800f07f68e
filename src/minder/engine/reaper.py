"""The one owner of child reaping and signalling.

Each child gets a pidfd: the kernel makes it readable when the child
exits, so an exit is a readiness event like any other and nothing polls.
The pidfds live in an epoll set of the reaper's own, which is the one
descriptor the event loop watches: when 500 children are stopped at once,
every exit that is ready is reaped in one pass, without a loop callback
and a selector entry per child. Signals go through ``pidfd_send_signal``, which
cannot hit a recycled pid. Where pidfds are missing (old kernels), a
SIGCHLD handler reaps the exited ones instead.

Orphans: when minderd is PID 1 or a child subreaper, orphaned grandchildren
are re-parented to us and must be reaped too. A SIGCHLD handler then peeks
at each waitable child with ``waitid(WNOWAIT)``: a managed one is handed to
its owner's normal reap (so its status is never stolen), any other is an
orphan and is reaped at once. No /proc walk per SIGCHLD.

When SIGCHLD serves orphans only (every managed child has a pidfd), it is
muted while the reaper itself is making managed children exit: a stop of
500 otherwise sends the daemon one SIGCHLD per exit, each a trip through
asyncio's signal pipe and a ``waitid`` peek that finds what the pidfd pass
reaps anyway (150-260 loop callbacks per stop of 500, and the signal pipe
can fill). Muted means the default disposition, so the kernel drops the
signal without waking us, and zombies stay; ``MUTE_SECONDS`` after the last
signal sent or exit reaped the handler comes back and one peek sweep reaps
whatever orphan exited meanwhile.

Descriptors are the scarce resource with thousands of children: each costs
three pipes, its logs while it writes, and a pidfd. The pidfd is the one
that can be done without, so only up to a sixth of RLIMIT_NOFILE children
get one (or until pidfd_open says EMFILE); the rest are reaped on SIGCHLD
(found by ``waitid(WNOWAIT)`` peeks) and signalled by pid, which is safe because we are
the only reaper: an unreaped pid cannot be recycled.

Reaping goes through ``Popen.poll()`` so the Popen object learns its return
code and never warns about a child "still running" when it is collected.
"""

from __future__ import annotations

import asyncio
import errno
import os
import resource
import select
import signal
import time
from collections.abc import Callable
from typing import Protocol

ExitCallback = Callable[[int], None]  # Popen-style returncode (-N for signal N)


class Child(Protocol):
    """What the engine uses of a started child: a ``Popen``, or engine/fastspawn's."""

    @property
    def pid(self) -> int: ...

    def poll(self) -> int | None: ...

    def wait(self, timeout: float | None = None) -> int: ...

FDS_PER_CHILD = 6  # 3 pipes, 2 logs, the pidfd
BATCH_EXITS = 8  # exits found at once that make a batch (see Reaper.exit_batch)
MUTE_SECONDS = 0.05  # SIGCHLD stays muted this long after the last managed signal or exit


def pidfd_budget() -> int:
    """How many children may hold a pidfd without starving the others of pipes."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 1 << 30
    return max(16, soft // FDS_PER_CHILD)


def pidfds_supported() -> bool:
    try:
        fd = os.pidfd_open(os.getpid())
    except (AttributeError, OSError):
        return False
    os.close(fd)
    return hasattr(signal, "pidfd_send_signal")


def zombie_children(parent: int) -> list[int]:
    """Pids of ``parent``'s children that have exited and wait to be reaped."""
    found: list[int] = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] == b"Z" and int(fields[1]) == parent:
            found.append(int(entry))
    return found


def _exists(pid: int) -> bool:
    """True while ``pid`` exists at all (a zombie included)."""
    return os.path.exists(f"/proc/{pid}")


def describe_status(status: int) -> str:
    if os.WIFSIGNALED(status):
        try:
            return f"terminated by {signal.Signals(os.WTERMSIG(status)).name}"
        except ValueError:
            return f"terminated by signal {os.WTERMSIG(status)}"
    return f"exit status {os.waitstatus_to_exitcode(status)}"


class _Watched:
    __slots__ = ("callback", "pidfd", "popen")

    def __init__(self, popen: Child, callback: ExitCallback, pidfd: int | None):
        self.popen = popen
        self.callback = callback
        self.pidfd = pidfd


class Reaper:
    def __init__(self, loop: asyncio.AbstractEventLoop, *, use_pidfd: bool | None = None) -> None:
        self._loop = loop
        self._use_pidfd = pidfds_supported() if use_pidfd is None else use_pidfd
        self._watched: dict[int, _Watched] = {}
        self._pid_of_fd: dict[int, int] = {}  # pidfd -> pid
        self._exits: select.epoll | None = None  # the pidfds, made on first use
        self._passes = 0
        # Non-zero during a pass of _on_exits that found many exits (stop all):
        # containment may then check all leftovers at once.
        self.exit_batch = 0
        self._by_sigchld: set[int] = set()  # watched pids without a pidfd
        self._pidfds = 0
        self._pidfd_budget = pidfd_budget()
        self._sigchld_installed = False
        self._muted_until = 0.0  # loop time; 0 while SIGCHLD is not muted
        self._unmute_timer: asyncio.TimerHandle | None = None
        self._orphan_log: Callable[[str], None] | None = None
        self._owner_of: Callable[[int], str | None] = lambda pid: None

    @property
    def mode(self) -> str:
        return "pidfd" if self._use_pidfd else "sigchld"

    def watch(self, popen: Child, callback: ExitCallback) -> None:
        pid = popen.pid
        pidfd: int | None = None
        if self._use_pidfd and self._pidfds < self._pidfd_budget:
            try:
                pidfd = os.pidfd_open(pid)
            except OSError as exc:
                if exc.errno not in (errno.EMFILE, errno.ENFILE):
                    raise
        if pidfd is not None:
            self._pidfds += 1
            self._exit_set().register(pidfd, select.EPOLLIN)
            self._pid_of_fd[pidfd] = pid
        else:
            self._install_sigchld()
            self._by_sigchld.add(pid)
        self._watched[pid] = _Watched(popen, callback, pidfd)
        if pidfd is None:
            # The child may have exited before we watched it.
            self._loop.call_soon(self._try_reap, pid)

    def _install_sigchld(self) -> None:
        if self._muted_until:
            self._unmute()  # a child without a pidfd needs SIGCHLD from now on
        if not self._sigchld_installed:
            self._loop.add_signal_handler(signal.SIGCHLD, self._reap_all)
            self._sigchld_installed = True

    def _mute_sigchld(self) -> None:
        """A managed child (with a pidfd) is about to exit: SIGCHLD can wait.

        Only while SIGCHLD is there for orphans alone; the mute is pushed
        back by every further signal and reaped exit, so a stop of many
        keeps it muted until the last exit plus ``MUTE_SECONDS``.
        """
        if not self._sigchld_installed or self._by_sigchld:
            return
        until = self._loop.time() + MUTE_SECONDS
        if self._muted_until:
            self._muted_until = until
            return
        self._loop.remove_signal_handler(signal.SIGCHLD)
        self._sigchld_installed = False
        self._muted_until = until
        self._unmute_timer = self._loop.call_at(until, self._unmute_when_due)

    def _unmute_when_due(self) -> None:
        self._unmute_timer = None
        if self._loop.time() < self._muted_until:
            self._unmute_timer = self._loop.call_at(self._muted_until, self._unmute_when_due)
            return
        self._unmute()
        self._reap_all()  # whatever exited while muted: orphans are still zombies

    def _unmute(self) -> None:
        if self._unmute_timer is not None:
            self._unmute_timer.cancel()
            self._unmute_timer = None
        self._muted_until = 0.0
        self._loop.add_signal_handler(signal.SIGCHLD, self._reap_all)
        self._sigchld_installed = True

    def _exit_set(self) -> select.epoll:
        if self._exits is None:
            self._exits = select.epoll()
            self._loop.add_reader(self._exits.fileno(), self._on_exits)
        return self._exits

    def _on_exits(self) -> None:
        """Some pidfds are readable: reap every child that has exited, in one pass.

        The pass goes on while children exit meanwhile (a stop of 500 takes a
        while to handle). A pass that found many exits (or every watched child
        exited) is a batch (``exit_batch``), for which containment may check
        all programs' leftovers at once.
        """
        if self._exits is None:
            return
        reaped = True
        while reaped:
            ready = self._exits.poll(0)
            if len(ready) >= min(BATCH_EXITS, len(self._watched)):
                self._passes += 1
                self.exit_batch = self._passes
            reaped = False
            try:
                for pidfd, _ in ready:
                    pid = self._pid_of_fd.get(pidfd)
                    if pid is not None and self._try_reap(pid):
                        reaped = True
            finally:
                self.exit_batch = 0
            if reaped and self._muted_until:
                self._muted_until = self._loop.time() + MUTE_SECONDS

    def _reap_all(self) -> None:
        """SIGCHLD: collect every child that has exited (and orphans, when we may).

        The exited children are found with ``waitid(WNOWAIT)`` peeks, so a
        SIGCHLD costs the number of exits, not the number of children without
        a pidfd: with 5,000 programs stopping at once, polling each of those
        on every SIGCHLD was millions of ``waitpid`` calls. Only when the
        peek meets an exited child it must not collect (one that is neither
        ours nor an orphan we take) does it fall back to polling each.
        """
        self._on_exits()  # children with a pidfd first, in one pass
        if not self._reap_waitable():
            for pid in list(self._by_sigchld):
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
        self._by_sigchld.discard(pid)
        if watched.pidfd is None:
            watched.callback(code)
            return True
        self._pidfds -= 1
        try:
            watched.callback(code)  # first: a restart's spawn waits for nothing else
        finally:
            self._forget_pidfd(watched.pidfd)
        return True

    def _forget_pidfd(self, pidfd: int) -> None:
        del self._pid_of_fd[pidfd]
        if self._exits is not None:
            # Out of the set before the close: a child forked just now may
            # still hold a copy of the descriptor until its exec.
            self._exits.unregister(pidfd)
        os.close(pidfd)

    def is_watched(self, pid: int) -> bool:
        return pid in self._watched

    def reap_now(self, pid: int) -> bool:
        """Reap before judging: used when a timer fires for a child that may be dead."""
        return self._try_reap(pid)

    def send_signal(self, pid: int, signum: int, *, to_group: bool = False) -> None:
        """Signal a watched child (or its process group); ESRCH is ignored."""
        watched = self._watched.get(pid)
        if watched is None:
            return  # already reaped: nothing to signal
        if watched.pidfd is not None:
            self._mute_sigchld()  # its exit is the pidfd's to report
        try:
            if to_group:
                os.killpg(pid, signum)  # the pid is unreaped, so it cannot be recycled
            elif watched.pidfd is not None:
                signal.pidfd_send_signal(watched.pidfd, signum)
            else:
                os.kill(pid, signum)
        except ProcessLookupError:
            pass

    def reap_orphans_too(
        self, log: Callable[[str], None], owner_of: Callable[[int], str | None] | None = None
    ) -> None:
        """PID 1 / subreaper mode: also collect re-parented orphans.

        ``owner_of`` names the program an orphan came from, where containment can tell.
        """
        self._orphan_log = log
        if owner_of is not None:
            self._owner_of = owner_of
        self._install_sigchld()  # _reap_all includes orphans from now on
        self._loop.call_soon(self._reap_orphans)  # any that died before we listened

    def _reap_orphans(self) -> None:
        self._reap_waitable()

    def _reap_waitable(self) -> bool:
        """Reap exited children one peek at a time; False when one is left we must not take."""
        while True:
            try:
                info = os.waitid(os.P_ALL, 0, os.WEXITED | os.WNOHANG | os.WNOWAIT)
            except ChildProcessError:
                return True
            if info is None or not info.si_pid:
                return True
            pid = info.si_pid
            if pid in self._watched:
                if not self._try_reap(pid):
                    return False  # its Popen cannot collect it yet; SIGCHLD will come again
                continue
            if self._orphan_log is None:
                return False  # not ours to reap (and it hides the others from the peek)
            owner = self._owner_of(pid)
            try:
                reaped, status = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                continue
            if reaped:
                of = f" of {owner!r}" if owner else ""
                self._orphan_log(f"reaped unknown pid {pid}{of} ({describe_status(status)})")

    def collect(self, pids: list[int], timeout: float) -> None:
        """Reap orphans we just SIGKILLed (shutdown), waiting at most ``timeout``."""
        deadline = time.monotonic() + timeout
        pending = set(pids)
        while pending and time.monotonic() < deadline:
            self._reap_orphans()
            pending = {pid for pid in pending if _exists(pid)}
            if pending:
                time.sleep(0.005)  # bounded: SIGKILLed processes are exiting

    def close(self) -> None:
        if self._unmute_timer is not None:
            self._unmute_timer.cancel()
            self._unmute_timer = None
        self._muted_until = 0.0
        if self._sigchld_installed:
            self._loop.remove_signal_handler(signal.SIGCHLD)
            self._sigchld_installed = False
        for watched in self._watched.values():
            if watched.pidfd is not None:
                self._forget_pidfd(watched.pidfd)
        self._watched.clear()
        if self._exits is not None:
            self._loop.remove_reader(self._exits.fileno())
            self._exits.close()
            self._exits = None
        self._by_sigchld.clear()
        self._pidfds = 0
