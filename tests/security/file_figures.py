"""Figures for issue 18, items 13, 14 and 16: ``python -m tests.security.file_figures``.

Run as root from the repository (the listeners run as ``nobody``). Each
figure runs one attack against a real minderd for a bounded time and prints
what it measured. To get the "before" figures, run the same command with an
older tree first on the path, e.g.::

    git archive 0630ea5 src | tar -x -C /tmp/old
    PYTHONPATH=/tmp/old/src .venv/bin/python -m tests.security.file_figures
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import psutil

from tests.security.local import IDLE_PROGRAM, flooding_listeners
from tests.support.daemons import VENV_BIN, run_daemon, write_config

FLOOD_SECONDS = 20.0
RSS_CAP = 400 * 1024 * 1024  # stop measuring there: the point is made
STORM_SECONDS = 6.0
CHECK_TIMEOUT = 180.0


def listener_flood(workdir: Path) -> str:
    """Peak RSS growth of the daemon while two nobody listeners flood it."""
    with run_daemon(workdir, flooding_listeners(workdir)) as daemon:
        process = psutil.Process(daemon.proc.pid)
        base = peak = process.memory_info().rss
        start = time.monotonic()
        while time.monotonic() - start < FLOOD_SECONDS and peak - base < RSS_CAP:
            peak = max(peak, process.memory_info().rss)
            time.sleep(0.2)  # sampling interval of a measurement, not a wait for a result
        elapsed = time.monotonic() - start
        restarts = daemon.main_log().count("overruns in this pool so far")
    return (
        f"listener flood: RSS grew by {(peak - base) / 2**20:.1f} MiB in {elapsed:.1f} s "
        f"(base {base / 2**20:.1f} MiB), {restarts} overrun restarts logged"
    )


def signal_storm(workdir: Path) -> str:
    """SIGHUP/SIGUSR2 every 2 ms through reloads: how many the daemon takes."""
    with run_daemon(workdir, IDLE_PROGRAM) as daemon:
        pid = daemon.proc.pid
        sent = 0
        start = time.monotonic()
        while time.monotonic() - start < STORM_SECONDS and daemon.proc.poll() is None:
            os.kill(pid, signal.SIGHUP if sent % 3 else signal.SIGUSR2)
            sent += 1
            time.sleep(0.002)
        alive = daemon.proc.poll() is None
        reloads = daemon.main_log().count("supervisord started with pid") - 1
    state = "still running" if alive else f"dead (exit {daemon.proc.returncode})"
    elapsed = time.monotonic() - start
    return f"signal storm: {sent} signals in {elapsed:.1f} s, {reloads} reloads, {state}"


def huge_numprocs(workdir: Path) -> str:
    """How long --check takes on numprocs=1000000."""
    conf, _, _ = write_config(workdir, "")
    conf.write_text(
        conf.read_text()
        + "\n[program:many]\ncommand=/bin/sleep 1000\n"
        + "process_name=%(program_name)s_%(process_num)d\nnumprocs=1000000\n"
    )
    start = time.monotonic()
    try:
        done = subprocess.run(
            [str(VENV_BIN / "minderd"), "--check", "-c", str(conf)],
            capture_output=True, text=True, timeout=CHECK_TIMEOUT,
        )
    except subprocess.TimeoutExpired:
        return f"numprocs=1000000: --check still busy after {CHECK_TIMEOUT:.0f} s"
    verdict = "refused" if done.returncode else "accepted"
    return f"numprocs=1000000: --check {verdict} in {time.monotonic() - start:.1f} s"


def main() -> None:
    for figure in (listener_flood, signal_storm, huge_numprocs):
        workdir = Path(tempfile.mkdtemp(prefix="minder-fig-", dir="/tmp"))
        workdir.chmod(0o755)
        try:
            print(figure(workdir), flush=True)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
