"""Every tool the peers bench knows, by the name ``--peers`` and the table use."""

from __future__ import annotations

from bench.peers.circus_pm2 import Circus, Pm2
from bench.peers.supervisors import Minderd, Supervisord
from bench.peers.svdirs import S6, Runit
from bench.peers.tool import Tool

TOOLS: dict[str, Tool] = {
    tool.name: tool for tool in (Minderd(), Supervisord(), Circus(), Pm2(), S6(), Runit())
}
