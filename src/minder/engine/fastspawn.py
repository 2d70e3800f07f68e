"""Start a plain child with ``posix_spawn`` instead of ``Popen``: why, and when.

With thousands of children a one-process supervisor holds thousands of
descriptors (each child's pipe ends and pidfd), and every spawn copies that
table into the child, which must close its copy before the program runs:
spawn number *i* pays for ~3*i* closes. ``Popen(close_fds=True)`` closes
them in the vfork child *before* ``execve``, and even without ``close_fds``
it waits on its error pipe, which the child's ``execve`` only closes while
it closes the rest. Either way the daemon sleeps through every close.
glibc's ``posix_spawn`` resumes the parent as soon as the child has its new
memory image, before ``execve`` closes the close-on-exec descriptors, so
the closing runs on another CPU while the daemon goes on (measured: 4,000
children holding 3 descriptors each, 4.3-6.2 s against 8.1-13.5 s with
Popen; docs/performance.md, *Start-up and spawn*).

What Popen's ``close_fds`` guaranteed, that no descriptor of the daemon
reaches a child, is kept by marking every descriptor above 2
close-on-exec right before each spawn (``close_range(2)`` with
``CLOSE_RANGE_CLOEXEC``, Linux 5.11+: a bitmap update, microseconds for
thousands of descriptors). Where that call is missing, and for whatever
``posix_spawn`` cannot do (a working directory, a umask, another user, a
pipe end numbered 0-2), the caller uses Popen as before.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import sys
import time

SYS_CLOSE_RANGE = 436  # the same number on every Linux architecture (5.9+)
CLOSE_RANGE_CLOEXEC = 1 << 2
_ALL_ABOVE = 0xFFFFFFFF  # ~0U: the last descriptor close_range can name

# Signals a child gets back at their default action (Popen's restore_signals).
RESTORED_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGPIPE", "SIGXFZ", "SIGXFSZ") if hasattr(signal, name)
)

_cloexec_call: object | None = None  # the libc syscall function once it worked; False: unusable


def _mark_all_cloexec() -> bool:
    """Make every descriptor above 2 close-on-exec; False where the kernel cannot."""
    global _cloexec_call
    if _cloexec_call is False or not sys.platform.startswith("linux"):
        return False  # the syscall number is Linux's
    import ctypes

    if _cloexec_call is None:
        try:
            _cloexec_call = ctypes.CDLL(None, use_errno=True).syscall
        except (OSError, AttributeError):
            _cloexec_call = False
            return False
    call = _cloexec_call
    assert callable(call)
    done = call(
        ctypes.c_long(SYS_CLOSE_RANGE), ctypes.c_uint(3), ctypes.c_uint(_ALL_ABOVE),
        ctypes.c_uint(CLOSE_RANGE_CLOEXEC),
    )
    if done != 0:  # ENOSYS, EINVAL (before 5.11), EPERM (seccomp): use Popen from now on
        _cloexec_call = False
        return False
    return True


class SpawnedChild:
    """The part of ``Popen`` the engine uses (pid, returncode, poll, wait), for a spawned pid.

    ``start_tick``: the kernel's start time of the child (/proc/<pid>/stat's
    field 22), when ``spawn_plain`` could tell it without reading /proc.
    """

    __slots__ = ("args", "pid", "returncode", "start_tick")

    def __init__(self, pid: int, args: list[str], start_tick: int | None = None) -> None:
        self.pid = pid
        self.args = args
        self.returncode: int | None = None
        self.start_tick = start_tick

    def poll(self) -> int | None:
        """Reap the child if it has exited, like ``Popen.poll``."""
        if self.returncode is None:
            try:
                pid, status = os.waitpid(self.pid, os.WNOHANG)
            except ChildProcessError:
                self.returncode = 0  # reaped elsewhere: Popen's answer too
                return self.returncode
            if pid == self.pid:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        """Block until the child exits (at most ``timeout`` seconds: TimeoutError after)."""
        if self.returncode is None and timeout is not None:
            with contextlib.closing(_Pidfd(self.pid)) as pidfd:
                if not pidfd.readable(timeout):
                    raise TimeoutError(f"{self.args[0]} still running after {timeout} s")
        if self.returncode is None:
            try:
                _, status = os.waitpid(self.pid, 0)
                self.returncode = os.waitstatus_to_exitcode(status)
            except ChildProcessError:
                self.returncode = 0
        return self.returncode


class _Pidfd:
    def __init__(self, pid: int) -> None:
        self.fd = os.pidfd_open(pid)

    def readable(self, timeout: float) -> bool:
        return bool(select.select([self.fd], [], [], timeout)[0])

    def close(self) -> None:
        os.close(self.fd)


def spawn_plain(
    filename: str, argv: list[str], env: dict[str, str], stdio: tuple[int, int, int]
) -> SpawnedChild | None:
    """Run ``filename`` in its own session with ``stdio`` as 0-2; None: use Popen.

    Raises OSError (with the filename) when the exec fails, as Popen does.
    """
    if min(stdio) <= 2 or not _mark_all_cloexec():
        return None  # a dup2 onto 0-2 from 0-2 could clobber another: Popen orders them
    before = time.clock_gettime_ns(time.CLOCK_BOOTTIME)
    try:
        pid = os.posix_spawn(
            filename,
            argv,
            env,
            file_actions=[(os.POSIX_SPAWN_DUP2, fd, target) for target, fd in enumerate(stdio)],
            setsid=True,
            setsigdef=RESTORED_SIGNALS,
        )
    except NotImplementedError:  # a libc without POSIX_SPAWN_SETSID
        global _cloexec_call
        _cloexec_call = False
        return None
    return SpawnedChild(pid, argv, start_tick_between(before))


def _ns_per_tick() -> int:
    """Nanoseconds per clock tick of /proc's start times; 0 where not a whole number."""
    ticks = os.sysconf("SC_CLK_TCK")
    return 1_000_000_000 // ticks if ticks > 0 and 1_000_000_000 % ticks == 0 else 0


NS_PER_TICK = _ns_per_tick()


def start_tick_between(before_ns: int) -> int | None:
    """The start time /proc will show for a child forked since ``before_ns``, or None.

    The kernel stamps a child with CLOCK_BOOTTIME when it forks it, and
    /proc/<pid>/stat shows that stamp in whole clock ticks (USER_HZ, 10 ms;
    in a time namespace both include its offset). The fork happened between
    ``before_ns`` and now: when both fall in the same tick, that tick is the
    child's start time exactly, and the journal line of the spawn needs no
    read of /proc (which can wait for the child's exec: ~20 us a spawn in a
    burst). Near a tick's edge (about 1 spawn in 30) the answer is None, and
    the journal reads /proc as before.
    """
    if not NS_PER_TICK:
        return None
    tick = before_ns // NS_PER_TICK
    return tick if time.clock_gettime_ns(time.CLOCK_BOOTTIME) // NS_PER_TICK == tick else None
