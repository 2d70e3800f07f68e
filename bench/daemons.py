"""Start minderd or supervisord on a config and always clean it up.

Cleanup is the part that matters: a benchmark that leaves 5,000 sleeping
children behind ruins every later measurement (and other people's tests).
So the daemon runs in its own session, we remember every descendant (with
its start time, so a recycled pid is never hit), ask the daemon to stop,
and then SIGKILL whatever is left, on every path including timeouts.
When the bench runs as a child subreaper (``python -m bench`` turns it on),
children orphaned by a dying daemon are re-parented to us and reaped too.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bench import procfs, rpc, watchdog
from bench.mainlog import MainLog

T = TypeVar("T")
VENV_BIN = Path(sys.executable).parent
DAEMONS = ("minderd", "supervisord")
CLIENTS = {"minderd": "minderctl", "supervisord": "supervisorctl"}
PR_SET_CHILD_SUBREAPER = 36
_subreaper = False


class BenchError(Exception):
    """A scenario could not be measured (reported in the table, not raised)."""


def become_subreaper() -> bool:
    """Make orphaned grandchildren re-parent to this process (Linux only)."""
    global _subreaper
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        _subreaper = bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        _subreaper = False
    return _subreaper


def raise_fd_limit(wanted: int) -> int:
    """Raise RLIMIT_NOFILE so that daemons inherit room for ``wanted`` fds."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    try:
        new_hard = hard if hard == resource.RLIM_INFINITY or hard >= wanted else wanted
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, new_hard))
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def compile_minder_bytecode() -> str:
    """Byte-compile minder's sources, as installing a wheel does.

    upstream supervisor comes from a wheel, which pip byte-compiles at
    install time; minder is installed editable from ``src/``, and with
    ``PYTHONDONTWRITEBYTECODE`` set (as on the development machines) every
    ``minderctl`` run and every daemon start would compile its modules
    again (~16 ms of a 45 ms ``minderctl status``). Compiling once here,
    outside every timed window, gives both daemons the same footing.
    """
    import compileall

    import minder

    package_dir = str(Path(minder.__file__).parent)
    compileall.compile_dir(package_dir, quiet=1, workers=1)
    return package_dir


def executable(name: str) -> str:
    path = VENV_BIN / name
    if not path.exists():
        raise BenchError(f"{name} is not installed in {VENV_BIN}")
    return str(path)


@dataclass
class Daemon:
    """A running daemon: its process, socket and the time we started it."""

    kind: str
    proc: subprocess.Popen[bytes]
    conf: Path
    workdir: Path
    started: float  # time.monotonic() just before Popen
    started_wall: float  # time.time() at the same moment (main-log stamps are wall time)
    mainlog: MainLog

    @property
    def pid(self) -> int:
        return self.proc.pid

    @property
    def sock(self) -> str:
        return str(self.workdir / "bench.sock")

    def call(self, method: str, *params: object, timeout: float = 60.0) -> object:
        return rpc.call(self.sock, method, *params, timeout=timeout)

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise BenchError(f"{self.kind} exited with status {self.proc.returncode}{self._err()}")

    def _err(self) -> str:
        try:
            text = (self.workdir / "daemon.stderr").read_text(errors="replace").strip()
        except OSError:
            return ""
        return f": {text.splitlines()[-1][:200]}" if text else ""


def wait_until(
    predicate: Callable[[], T], deadline: float, what: str, interval: float = 0.02
) -> T:
    """Poll ``predicate`` until it returns something truthy, or ``deadline`` (monotonic)."""
    last: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except BenchError:
            raise
        except (OSError, rpc.RpcFault) as exc:  # not listening yet, or busy
            last = exc
        if time.monotonic() > deadline:
            raise BenchError(f"timed out waiting for {what}" + (f" ({last!r})" if last else ""))
        time.sleep(interval)


def wait_ready(daemon: Daemon, deadline: float) -> None:
    """Wait until the daemon answers getState over its socket."""

    def ready() -> bool:
        daemon.check_alive()
        state = daemon.call("supervisor.getState", timeout=5)
        return isinstance(state, dict) and state.get("statename") == "RUNNING"

    wait_until(ready, deadline, f"{daemon.kind} to answer on its socket")


def _kill_all(pids: dict[int, int]) -> None:
    for pid, ticks in pids.items():
        with contextlib.suppress(OSError, IndexError, ValueError):
            if procfs.start_ticks(pid) == ticks:
                os.kill(pid, signal.SIGKILL)


def reap_orphans() -> None:
    """Kill and reap what was re-parented to us, when we are a subreaper.

    Called after a run's teardown, when every descendant left is an orphan
    of that run (a detached daemon's children, killed or not yet).
    """
    if not _subreaper:
        return
    for pid in procfs.descendants(os.getpid()):
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        while True:
            pid, _ = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break


def stop(daemon: Daemon, grace: float) -> None:
    """Stop the daemon gracefully for ``grace`` s, then kill it and every child."""
    watchdog.disarm()  # a timeout must never interrupt the cleanup itself
    proc = daemon.proc
    before = procfs.descendants(proc.pid) if proc.poll() is None else {}
    if proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.send_signal(signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            proc.wait(grace)
    if proc.poll() is None:
        # Freeze it so it cannot spawn more while we collect its children.
        with contextlib.suppress(OSError):
            os.kill(proc.pid, signal.SIGSTOP)
        before.update(procfs.descendants(proc.pid))
        with contextlib.suppress(OSError):
            os.killpg(proc.pid, signal.SIGKILL)
        with contextlib.suppress(OSError):
            proc.kill()
        proc.wait(30)
    _kill_all(before)
    deadline = time.monotonic() + 10
    while any(procfs.alive(p) for p in before) and time.monotonic() < deadline:
        time.sleep(0.02)
    reap_orphans()


@contextlib.contextmanager
def running(
    kind: str, conf: Path, *, ready_timeout: float = 60.0, grace: float = 10.0,
    wait_for_socket: bool = True,
) -> Iterator[Daemon]:
    """Run ``kind`` in the foreground on ``conf``; stop and clean up on exit."""
    exe = executable(kind)
    workdir = conf.parent
    with open(workdir / "daemon.stderr", "wb") as err:
        started_wall = time.time()
        started = time.monotonic()
        proc = subprocess.Popen(
            [exe, "-n", "-c", str(conf)],
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    daemon = Daemon(
        kind, proc, conf, workdir, started, started_wall, MainLog(workdir / "daemon.log")
    )
    try:
        if wait_for_socket:
            wait_ready(daemon, time.monotonic() + ready_timeout)
        yield daemon
    finally:
        stop(daemon, grace)
