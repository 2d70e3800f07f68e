"""The processes of one supervisor under test: which are its own, what they cost.

A peer is more than one process: s6 runs one ``s6-supervise`` per service
(and one ``s6-log`` per logged service), runit one ``runsv`` (and one
``svlogd``), PM2 a daemon detached from the command that started it. Its
"supervisor side" is every process in the tree under its root(s) that is
not the bench's child program (recognised by ``/proc/<pid>/exe``), and every
figure of cost (CPU, wake-ups, PSS) is summed over that side.

Teardown has to be as thorough as ``bench/daemons.py``'s: every pid is
remembered with its start time, the roots are asked to stop, then frozen
and killed with everything under them.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import time
from collections.abc import Iterable

from bench import procfs


def exe_of(pid: int) -> str:
    try:
        return os.readlink(f"/proc/{pid}/exe")
    except OSError:
        return ""


def tree(roots: Iterable[int]) -> dict[int, int]:
    """Every live process in the trees of ``roots`` (roots included) -> start ticks."""
    out: dict[int, int] = {}
    for root in roots:
        with contextlib.suppress(OSError, IndexError, ValueError):
            if procfs.alive(root):
                out[root] = procfs.start_ticks(root)
        out.update(procfs.descendants(root))
    return out


def split(roots: Iterable[int], child_exe: str) -> tuple[dict[int, int], dict[int, int]]:
    """(supervisor side, children): the tree of ``roots`` split by executable."""
    side: dict[int, int] = {}
    kids: dict[int, int] = {}
    for pid, ticks in tree(roots).items():
        (kids if exe_of(pid) == child_exe else side)[pid] = ticks
    return side, kids


def cpu_s(pids: Iterable[int]) -> float:
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += procfs.cpu_seconds_precise(pid)
    return total


def wait_s(pids: Iterable[int]) -> float:
    """Summed time the processes were runnable but not running (run-queue wait)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError):
            total += procfs.run_delay_seconds(pid)
    return total


def ctxt(pids: Iterable[int]) -> int:
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, KeyError):
            total += procfs.context_switches(pid)
    return total


def pss_mib(pids: Iterable[int]) -> float:
    """Summed proportional set size (shared pages split between their users)."""
    kib = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                for line in f:
                    if line.startswith("Pss:"):
                        kib += int(line.split()[1])
                        break
        except OSError:
            continue
    return kib / 1024


def wait_exited(pids: Iterable[int], deadline: float) -> float:
    """Block until every pid has exited (pidfds turn readable); return monotonic time.

    Nothing polls: one ``poll(2)`` on the children's pidfds, so waiting
    costs the machine nothing while the supervisor under test works.
    """
    fds: dict[int, int] = {}
    try:
        for pid in pids:
            with contextlib.suppress(ProcessLookupError):
                fds[os.pidfd_open(pid)] = pid
        poller = select.poll()
        for fd in fds:
            poller.register(fd, select.POLLIN)
        left = len(fds)
        while left:
            timeout = deadline - time.monotonic()
            if timeout <= 0:
                raise TimeoutError(f"{left} of {len(fds)} children still running")
            for fd, _ in poller.poll(timeout * 1000):
                poller.unregister(fd)
                left -= 1
        return time.monotonic()
    finally:
        for fd in fds:
            os.close(fd)


def _kill(pids: dict[int, int], sig: int) -> None:
    for pid, ticks in pids.items():
        with contextlib.suppress(OSError, IndexError, ValueError):
            if procfs.start_ticks(pid) == ticks:
                os.kill(pid, sig)


def teardown(
    roots: list[int],
    first_signal: int = signal.SIGTERM,
    grace: float = 10.0,
    known: dict[int, int] | None = None,
) -> None:
    """Ask the roots to stop, then freeze and kill whatever is left of their trees.

    ``known``: processes seen in the tree earlier, killed too even if they
    have left it since (a daemon told to quit orphans its children).
    """
    known = {**(known or {}), **tree(roots)}
    root_ticks = {r: t for r, t in known.items() if r in roots}
    _kill(root_ticks, first_signal)
    deadline = time.monotonic() + grace
    while any(procfs.alive(r) for r in root_ticks) and time.monotonic() < deadline:
        time.sleep(0.02)
    _kill(root_ticks, signal.SIGSTOP)
    known.update(tree(root_ticks))
    _kill(known, signal.SIGKILL)
    deadline = time.monotonic() + 10
    while any(procfs.alive(p) for p in known) and time.monotonic() < deadline:
        time.sleep(0.02)
