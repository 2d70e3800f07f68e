"""Read a process's CPU time, context switches, RSS and descendants from /proc.

We read /proc directly instead of asking psutil so that sampling costs the
same for both daemons and pulls in nothing the daemon could notice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

CLK_TCK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True, slots=True)
class Sample:
    """One reading of the counters that idle and throughput figures use."""

    cpu_s: float  # on-CPU seconds of all threads (schedstat, ns precision)
    ctxt: int  # voluntary + nonvoluntary context switches


def _stat_fields(pid: int) -> list[str]:
    with open(f"/proc/{pid}/stat") as f:
        # The command name may contain spaces and parentheses; split after it.
        return f.read().rsplit(")", 1)[1].split()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of ``pid`` itself (not its children)."""
    fields = _stat_fields(pid)
    # fields[0] is the state (field 3 of the man page); utime/stime are 14/15.
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def cpu_seconds_precise(pid: int) -> float:
    """On-CPU time of every thread of ``pid`` in ns precision (schedstat).

    /proc/<pid>/stat counts in 10 ms ticks, too coarse for an idle daemon
    that uses a few ms in 20 s. Falls back to stat where schedstat is absent.
    """
    total = _schedstat_sum(pid, 0)
    return total / 1e9 if total else cpu_seconds(pid)


def run_delay_seconds(pid: int) -> float:
    """Time every thread of ``pid`` spent runnable but waiting for a CPU (schedstat)."""
    return _schedstat_sum(pid, 1) / 1e9


def _schedstat_sum(pid: int, field: int) -> int:
    """One field of /proc/<pid>/task/*/schedstat summed over the threads (ns; 0 if absent)."""
    total = 0
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{tid}/schedstat") as f:
                    total += int(f.read().split()[field])
            except (FileNotFoundError, ProcessLookupError):
                continue  # a thread that ended between listdir and open
    except FileNotFoundError:
        return 0
    return total


def start_ticks(pid: int) -> int:
    """Start time in clock ticks since boot: identifies a pid across reuse."""
    return int(_stat_fields(pid)[19])


def _status(pid: int) -> dict[str, str]:
    return _status_path(f"/proc/{pid}/status")


def _status_path(path: str) -> dict[str, str]:
    out: dict[str, str] = {}
    with open(path) as f:
        for line in f:
            key, _, value = line.partition(":")
            out[key] = value.strip()
    return out


def context_switches(pid: int) -> int:
    """Voluntary + nonvoluntary context switches of all threads: a proxy for wake-ups."""
    total = 0
    for tid in os.listdir(f"/proc/{pid}/task"):
        try:
            st = _status_path(f"/proc/{pid}/task/{tid}/status")
        except (FileNotFoundError, ProcessLookupError):
            continue
        total += int(st["voluntary_ctxt_switches"]) + int(st["nonvoluntary_ctxt_switches"])
    return total


def rss_mib(pid: int) -> float:
    """Resident set size in MiB."""
    kib = _status(pid)["VmRSS"].split()[0]
    return int(kib) / 1024


def sample(pid: int) -> Sample:
    return Sample(cpu_seconds_precise(pid), context_switches(pid))


def alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        return _stat_fields(pid)[0] != "Z"
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def descendants(pid: int) -> dict[int, int]:
    """Live descendants of ``pid`` mapped to their start ticks (one /proc walk)."""
    children: dict[int, list[tuple[int, int]]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            fields = _stat_fields(int(entry))
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        if fields[0] == "Z":
            continue
        children.setdefault(int(fields[1]), []).append((int(entry), int(fields[19])))
    out: dict[int, int] = {}
    stack = [pid]
    while stack:
        for child, ticks in children.get(stack.pop(), []):
            out[child] = ticks
            stack.append(child)
    return out
