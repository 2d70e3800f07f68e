"""LoadSampler: CPU % since the previous reading of the same pid (engine/usage.py)."""

from __future__ import annotations

import os

from minder.engine.api import Usage
from minder.engine.usage import LoadSampler, rss_bytes, rss_of


class Kernel:
    """What the sampler would read from /proc, set by the test."""

    def __init__(self) -> None:
        self.procs: dict[int, Usage] = {}
        self.now = 100.0

    def sample(self, pid: int) -> Usage | None:
        return self.procs.get(pid)

    def clock(self) -> float:
        return self.now


def test_first_reading_starts_the_interval_then_reports_the_share() -> None:
    k = Kernel()
    k.procs[7] = Usage(1.0, 4096, 3, 50.0)
    sampler = LoadSampler(k.sample, k.clock)
    assert sampler.load(7) == (0.0, 4096)
    k.now += 2.0
    k.procs[7] = Usage(2.5, 8192, 3, 50.0)  # 1.5 s of CPU in 2 s of wall time
    assert sampler.load(7) == (75.0, 8192)


def test_a_reused_pid_starts_over_and_a_gone_pid_is_none() -> None:
    k = Kernel()
    k.procs[7] = Usage(1.0, 4096, 3, 50.0)
    sampler = LoadSampler(k.sample, k.clock)
    sampler.load(7)
    k.now += 1.0
    k.procs[7] = Usage(9.0, 4096, 3, 60.0)  # another process, same pid
    assert sampler.load(7) == (0.0, 4096)
    del k.procs[7]
    assert sampler.load(7) is None
    assert sampler.load(0) is None


def test_rss_of_this_process_is_counted_once_per_pid() -> None:
    own = rss_of(os.getpid())
    assert own is not None and own > 0
    assert rss_bytes([2**22 + 12345]) == 0  # a pid that cannot exist adds nothing
    assert rss_bytes([os.getpid()]) > 0
