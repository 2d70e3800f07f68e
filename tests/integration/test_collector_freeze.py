"""minderd freezes what its start burst built, and thaws it where those objects can die.

Why: after the start burst the daemon collects once and ``gc.freeze``s the
survivors, so no later collection walks them again (a 10–17 ms
generation-1 collection at 500 programs otherwise lands on the first stop
all). Frozen cyclic garbage is never collected, so a removed group must
give the frozen objects back to the collector, or every ``update`` that
removes a group would leak its runners. This runs the real entry point on a
real config in a subprocess; a thread in the daemon's own interpreter
answers ``gc.get_freeze_count()`` on request, and the group is removed with
real XML-RPC calls over the daemon's unix socket.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.daemons import rpc_proxy, write_config

PROBE = """
import gc, os, sys, threading, time
ask = sys.argv[1]

def answer():
    while True:
        if os.path.exists(ask):
            with open(ask + ".tmp", "w") as out:
                out.write(str(gc.get_freeze_count()))
            os.rename(ask + ".tmp", ask + ".answer")
            os.unlink(ask)
        time.sleep(0.005)

threading.Thread(target=answer, daemon=True).start()
from minder.daemon.main import main
sys.exit(main(["-n", "-c", sys.argv[2]]))
"""


def _freeze_count(ask: Path, deadline: float) -> int:
    ask.touch()
    answer = Path(f"{ask}.answer")
    while not answer.exists():
        assert time.monotonic() < deadline, "the daemon's probe never answered"
        time.sleep(0.005)
    count = int(answer.read_text())
    answer.unlink()
    return count


def _until(predicate: object, deadline: float) -> None:
    assert callable(predicate)
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.mark.usefixtures("no_leftovers")
def test_start_burst_is_frozen_and_a_removed_group_thaws_it(tmp_path: Path) -> None:
    conf, sock, _ = write_config(
        tmp_path,
        "[program:a]\ncommand=sleep 60\nstartsecs=0\n\n"
        "[program:b]\ncommand=sleep 60\nstartsecs=0\n",
    )
    ask = tmp_path / "ask"
    daemon = subprocess.Popen(
        [sys.executable, "-c", PROBE, str(ask), str(conf)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    try:
        _until(sock.exists, deadline)
        proxy = rpc_proxy(str(sock))

        def both_running() -> bool:
            infos = proxy.supervisor.getAllProcessInfo()
            return sorted(i["statename"] for i in infos) == ["RUNNING", "RUNNING"]

        _until(both_running, deadline)
        frozen = 0
        while frozen == 0 and time.monotonic() < deadline:  # the freeze follows the burst
            frozen = _freeze_count(ask, deadline)
        assert frozen > 1000, frozen  # modules, specs, runners: the daemon's start-up

        proxy.supervisor.stopProcessGroup("b")
        assert proxy.supervisor.removeProcessGroup("b") is True
        assert _freeze_count(ask, deadline) == 0
        proxy("close")()
    finally:
        if daemon.poll() is None:
            os.kill(daemon.pid, signal.SIGTERM)
        _, err = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, err[-2000:]
