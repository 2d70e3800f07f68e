"""Loopback TCP ports for a daemon or a test server to bind later.

Why not bind to port 0 and hand the kernel's answer on: that port comes from
the ephemeral range, the same range the kernel draws the local port of every
outgoing connection from. Between the moment the test closes its probe
socket and the moment the daemon binds, any connect() on the machine may take
the port (the daemon then fails with EADDRINUSE), and a connect to it while
nothing listens can meet itself (TCP simultaneous open), which looks like a
listener. On a loaded 2-core CI runner those windows are long. A port below
the ephemeral range is never handed out by the kernel, so only another bind
can take it, and a random pick makes two parallel test runs unlikely to meet.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

# The lowest port drawn from; below it live the well-known services.
LOWEST = 10000
_DEFAULT_EPHEMERAL_LOW = 32768
_pick = random.SystemRandom()


def ephemeral_low() -> int:
    """The first port of the kernel's ephemeral range (net.ipv4.ip_local_port_range)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def free_port(count: int = 1) -> int:
    """A port P, outside the ephemeral range, with P .. P+count-1 all free now."""
    top = ephemeral_low() - count
    if top <= LOWEST:  # an unusual range: fall back to the kernel's choice
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            return int(sock.getsockname()[1])
    for _ in range(200):
        base = _pick.randrange(LOWEST, top)
        if all(_bindable(base + i) for i in range(count)):
            return base
    raise AssertionError(f"no {count} consecutive free ports in {LOWEST}..{top + count}")
