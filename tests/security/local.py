"""Shared pieces of the attacks by a program or a local user (items 7-16)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# A program that just runs: the attacks need a daemon with something to supervise.
IDLE_PROGRAM = """
    [program:idle]
    command=/bin/sleep 1000
    startsecs=0
    """


def system_python() -> str:
    """An interpreter user nobody may run (the test venv lives under root's 0700 home)."""
    for candidate in ("/usr/bin/python3", "/usr/local/bin/python3"):
        if os.access(candidate, os.X_OK):
            return candidate
    pytest.skip("no system python3 for the attacker running as nobody")


_FLOODER = """
import os, sys
os.write(1, b"READY\\n")
sys.stdin.readline()  # the event's header; its body is not needed
os.write(1, HEAD)
chunk = b"x" * 65536
while True:
    os.write(1, chunk)
"""


def flooding_listeners(directory: Path) -> str:
    """Config for two ``user=nobody`` listeners that flood once they get an event.

    ``endless_line`` answers ``RESULT `` and never ends the line;
    ``huge_body`` announces a 100 GB result and sends it. ``blip`` makes the
    events. The scripts are written to ``directory`` (which nobody can read).
    """
    python = system_python()
    for name, head in (("endless_line", b"RESULT "), ("huge_body", b"RESULT 100000000000\n")):
        script = directory / f"{name}.py"
        script.write_text(f"HEAD = {head!r}\n" + _FLOODER)
        script.chmod(0o644)
    listeners = "".join(
        f"""
        [eventlistener:{name}]
        command={python} {directory}/{name}.py
        events=PROCESS_STATE
        user=nobody
        startsecs=0
        """
        for name in ("endless_line", "huge_body")
    )
    return listeners + """
        [program:blip]
        command=/bin/true
        startsecs=0
        autorestart=false
        """
