"""TICK events reach a listener pool however it arrived (minderd only runs
the tick timers while some pool subscribes to them)."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

import pytest

from tests.support.daemons import descendants, run_daemon, wait_for

LISTENER = textwrap.dedent(
    """\
    import sys
    out = open(sys.argv[1], "a")
    while True:
        sys.stdout.write("READY\\n"); sys.stdout.flush()
        header = dict(t.split(":", 1) for t in sys.stdin.readline().split())
        payload = sys.stdin.read(int(header["len"]))
        out.write(header["eventname"] + " " + payload + "\\n"); out.flush()
        sys.stdout.write("RESULT 2\\nOK"); sys.stdout.flush()
    """
)


@pytest.fixture(autouse=True)
def no_leftover_children() -> object:
    yield
    assert descendants(os.getpid()) == [], "a process outlived its daemon"


@pytest.mark.parametrize("kind", ["minderd", "supervisord"])
def test_a_tick_listener_added_by_update_receives_tick_5(tmp_path: Path, kind: str) -> None:
    script = tmp_path / "ticklistener.py"
    script.write_text(LISTENER)
    received = tmp_path / "ticks.txt"
    with run_daemon(tmp_path, "[program:idle]\ncommand=sleep 600\n", kind=kind) as daemon:
        with daemon.conf.open("a") as conf:
            conf.write(
                f"\n[eventlistener:ticks]\ncommand={sys.executable} {script} {received}\n"
                "events=TICK_5\nstartsecs=0\n"
            )
        result = daemon.ctl("update")
        assert "ticks: added process group" in result.stdout, result
        wait_for(
            lambda: received.exists() and "TICK_5 when:" in received.read_text(),
            timeout=15,
            what="a TICK_5 event at the listener added by update",
        )
        first = received.read_text().splitlines()[0]
        assert first.startswith("TICK_5 when:")
        assert int(first.split("when:")[1]) % 5 == 0
