"""proctree reads /proc/<pid>/stat of real processes, whatever their names hold."""

from __future__ import annotations

import os
import shutil
import signal
import time
from pathlib import Path

import pytest

from minder.engine import proctree


def _clock_ticks_since_boot() -> int:
    return int(time.clock_gettime(time.CLOCK_BOOTTIME) * os.sysconf("SC_CLK_TCK"))


@pytest.mark.parametrize("name", ["sleep", "x) y (z", "a )) b", "1 2 3 4 5 6 7 8 9 0 1 2"])
def test_fields_after_any_name(tmp_path: Path, name: str) -> None:
    """A name with spaces and parentheses does not shift the fields: ppid and start time."""
    exe = tmp_path / name
    shutil.copy("/bin/sleep", exe)
    before = _clock_ticks_since_boot()
    pid = os.posix_spawn(str(exe), [str(exe), "30"], os.environ)
    try:
        fields = proctree.stat_fields(pid)
        assert fields is not None
        assert int(fields[1]) == os.getpid()
        start = proctree.start_time(pid)
        assert start is not None and before - 2 <= start <= _clock_ticks_since_boot() + 2
    finally:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
    assert proctree.stat_fields(pid) is None  # gone: None, not an error
    assert proctree.start_time(pid) is None
