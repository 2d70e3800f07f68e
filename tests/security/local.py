"""Shared pieces of the attacks by a program or a local user (items 7-16)."""

from __future__ import annotations

import os

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
