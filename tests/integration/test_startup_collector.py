"""minderd pauses the garbage collector for its start-up and turns it back on.

Why: until the first start burst is spawned, every object the daemon makes
(modules, specs, groups) lives as long as it does, and collections only
walked them again (docs/performance.md, "Start-up, third pass"). A daemon
that never turned the collector back on would leak every reference cycle it
makes afterwards, so this runs the real entry point on a real config in a
subprocess and asks the daemon's own interpreter, from a thread, whether it
collects once its program has started; then stops it with SIGTERM.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.daemons import write_config

PROBE = """
import gc, os, signal, sys, threading, time
marker = sys.argv[1]

def watch():
    deadline = time.monotonic() + 30
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.005)
    while not gc.isenabled() and time.monotonic() < deadline:
        time.sleep(0.005)
    with open(marker + ".probe", "w") as out:  # the daemon echoes its log to stdout
        print("started" if os.path.exists(marker) else "never started",
              "collecting" if gc.isenabled() else "not collecting", file=out)
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=watch, daemon=True).start()
from minder.daemon.main import main
sys.exit(main(["-n", "-c", sys.argv[2]]))
"""


@pytest.mark.usefixtures("no_leftovers")
def test_the_collector_is_on_once_the_first_programs_are_started(tmp_path: Path) -> None:
    marker = tmp_path / "started"
    conf, _, _ = write_config(
        tmp_path, f"[program:a]\ncommand=/bin/sh -c 'touch {marker}; exec sleep 60'\nstartsecs=0\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", PROBE, str(marker), str(conf)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    probe = Path(f"{marker}.probe").read_text().split()
    assert probe == ["started", "collecting"]
