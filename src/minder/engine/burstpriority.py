"""A burst of spawns runs minderd's thread at real-time priority 1.

The bursts: start-up's autostart (engine/supervisor.py) and the requests of
``startProcess``/``startProcessGroup``/``startAllProcesses`` and the start
half of a restart (engine/control.py), never what they then wait for.

Why: during a burst the event loop spawns one child after another, and the
children it has just spawned finish their ``execve`` and start their program
on the same CPU. Each cgroup leaf that becomes populated wakes a kernel
worker (``kernfs_notify_workfn``, the ``cgroup.events`` notification) on
minderd's CPU; the worker preempts minderd, and when it is done the fair
scheduler often picks the runnable child before minderd: minderd then waits
~0.5 ms for the child to start its program and sleep, while the other CPU
sits idle (``perf sched``: 200 of 500 spawns, ~130 ms of a 0.35 s burst on 2
CPUs). At ``SCHED_FIFO`` priority 1 no fair task takes minderd's CPU while
it has work: the children run on the other CPUs, or on this one whenever
minderd waits (``posix_spawn``'s vfork, each spawn). The 500th child started
~10 % sooner, at start-up and through ``startAllProcesses`` alike; with
``containment=off`` (no worker wakes) ~6 % (docs/performance.md, *seventh
pass*). A stop is not a burst of spawns: at this priority its children's
exits were handled in smaller batches and the whole stop took longer.

What the children get is unchanged: ``SCHED_RESET_ON_FORK`` makes every
process or thread forked meanwhile start ``SCHED_OTHER`` at nice 0, which is
what they would inherit, because the burst is only prioritized when minderd
itself runs ``SCHED_OTHER`` at nice 0 (a user who set another policy or nice
keeps it, and the children keep inheriting it). Afterwards minderd is back
to ``SCHED_OTHER`` (its nice never changed). Without the privilege (no
``CAP_SYS_NICE``, a container's ``cpu.rt_runtime_us`` of 0) or on one CPU
(where the children would simply wait for the burst's end) nothing changes.
A burst never awaits, so the loop cannot sit at this priority for
anything else; the kernel's real-time throttling (95 % of each second by
default) bounds it anyway.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

# Below this many spawns the burst is too short for the wait to matter.
PRIORITIZED_BURST_SPAWNS = 50


def _may_prioritize(spawns: int) -> bool:
    if spawns < PRIORITIZED_BURST_SPAWNS or (os.cpu_count() or 1) < 2:
        return False
    if not hasattr(os, "SCHED_RESET_ON_FORK"):  # Linux only
        return False
    try:
        return os.sched_getscheduler(0) == os.SCHED_OTHER and os.getpriority(
            os.PRIO_PROCESS, 0) == 0
    except OSError:
        return False


@contextlib.contextmanager
def prioritized_burst(spawns: int) -> Iterator[bool]:
    """Run the body at ``SCHED_FIFO`` 1 where that is allowed and helps; yields whether it is."""
    raised = False
    if _may_prioritize(spawns):
        try:
            os.sched_setscheduler(
                0, os.SCHED_FIFO | os.SCHED_RESET_ON_FORK, os.sched_param(1))
            raised = True
        except OSError:  # EPERM: no CAP_SYS_NICE, or no real-time budget in this cgroup
            pass
    try:
        yield raised
    finally:
        if raised:
            os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
