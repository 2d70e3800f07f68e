"""The scenario plan: which scenarios run, in which order, at which sizes.

``plan(sizes)`` returns every scenario in the order they run; ``--only``
filters by ``Scenario.group``.
"""

from __future__ import annotations

from bench.scenarios import control, latency, logs, pacing, probes, rpc_load, spawn
from bench.scenarios.base import Scenario
from bench.sizes import Sizes


def plan(s: Sizes) -> list[Scenario]:
    out: list[Scenario] = []
    out += [spawn.spawn(n, s.spawn_cap) for n in s.spawn_ns]
    out += [spawn.idle(n, s.idle_window) for n in s.spawn_ns]
    out += [latency.restart(s.restarts), latency.stop(s.stops)]
    out += [pacing.respawn(max(3, s.restarts // 5)), pacing.crashloop(s.crashloop_window)]
    out += [pacing.containment(max(s.spawn_ns), s.spawn_cap)]
    out += [
        logs.logs(s.log_bytes, 1, rotate=False),
        logs.logs(s.log_bytes, 1, rotate=True),
        logs.logs(s.log_bytes, s.chatty_children, rotate=False),
    ]
    out.append(rpc_load.rpc(s.rpc_n, s.rpc_calls, s.load_clients, s.load_seconds))
    out.append(control.ctl(s.ctl_n, s.ctl_runs))
    out.append(control.stopall(s.stopall_n))
    out.append(control.scale(s.scale_n, s.scale_cap))
    out.append(probes.probes(s.probe_n, s.idle_window))
    return out


GROUPS = (
    "spawn", "idle", "restart", "stop", "pacing", "containment", "logs", "rpc", "ctl", "stopall",
    "scale", "probes",
)
