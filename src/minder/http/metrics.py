"""``GET /metrics``: the daemon and its processes in Prometheus text format 0.0.4.

supervisord has nothing like it; people scrape it with an exporter that
polls XML-RPC. Serving it from the daemon is cheaper and can show what
XML-RPC cannot: CPU, memory and fds per process, and the events each
listener pool dropped on buffer overflow (supervisord drops them silently).

Built to stay cheap with thousands of processes: one engine snapshot and
one engine usage sample per scrape (engine/usage.py samples the pids it
owns, yielding to the loop between batches). The text is rendered by pure
functions (tested on canned data); the handler only gathers the facts. It
is mounted by ``build_app``, inside its auth and security-header middleware.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field
from typing import TYPE_CHECKING

from minder import SUPERVISOR_COMPAT_VERSION, __version__
from minder.engine.api import EngineAPI, ProcessSnapshot, Usage
from minder.protocol.states import ProcessState, SupervisorState
from minder.records import mutable_record, record

if TYPE_CHECKING:
    from aiohttp.typedefs import Handler

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"


# --- the text format ------------------------------------------------------


def escape_label_value(value: str) -> str:
    """Backslash, double quote and line feed are the only escapes 0.0.4 defines."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


def escape_help(text: str) -> str:
    """HELP text escapes backslash and line feed (quotes stay as they are)."""
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def label_text(pairs: Iterable[tuple[str, str]]) -> str:
    """``{a="x",b="y"}`` (or '' without labels); rendered once per process, reused."""
    inner = ",".join(f'{key}="{escape_label_value(value)}"' for key, value in pairs)
    return "{" + inner + "}" if inner else ""


def format_value(value: float) -> str:
    """Integers without a fraction (pids, bytes stay exact); Go's spellings of NaN/Inf."""
    if isinstance(value, int):
        return str(value)
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if value.is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(value)


@mutable_record
class Family:
    """One metric name with its HELP, TYPE and samples (label text, value)."""

    name: str
    kind: str  # "gauge" or "counter"
    help: str
    samples: list[tuple[str, float]] = field(default_factory=list)

    def add(self, value: float, labels: str = "") -> None:
        self.samples.append((labels, value))


def render(families: Iterable[Family]) -> str:
    """The exposition text; families without samples are left out entirely."""
    lines: list[str] = []
    for family in families:
        if not family.samples:
            continue
        lines.append(f"# HELP {family.name} {escape_help(family.help)}")
        lines.append(f"# TYPE {family.name} {family.kind}")
        name = family.name
        lines.extend(f"{name}{labels} {format_value(v)}" for labels, v in family.samples)
    return "\n".join(lines) + "\n" if lines else ""


# --- what is measured -------------------------------------------------------


@record
class DaemonFacts:
    state: SupervisorState
    identifier: str
    pid: int
    usage: Usage | None


def _usage_families(prefix: str, what: str) -> tuple[Family, Family, Family]:
    return (
        Family(f"{prefix}_cpu_seconds_total", "counter", f"User and system CPU time of {what}."),
        Family(f"{prefix}_resident_memory_bytes", "gauge", f"Resident memory of {what}."),
        Family(f"{prefix}_open_fds", "gauge", f"Open file descriptors of {what}."),
    )


def _add_usage(families: tuple[Family, Family, Family], usage: Usage, labels: str) -> None:
    cpu, rss, fds = families
    cpu.add(usage.cpu_seconds, labels)
    rss.add(usage.rss_bytes, labels)
    if usage.open_fds is not None:
        fds.add(usage.open_fds, labels)


def daemon_families(daemon: DaemonFacts) -> list[Family]:
    up = Family("minder_up", "gauge", "1 while minderd answers.")
    up.add(1)
    info = Family("minder_info", "gauge", "minder's version, the supervisord version it provides.")
    info.add(
        1,
        label_text(
            (
                ("version", __version__),
                ("supervisor_version", SUPERVISOR_COMPAT_VERSION),
                ("identifier", daemon.identifier),
            )
        ),
    )
    state = Family(
        "minder_daemon_state",
        "gauge",
        "supervisord state code: 2 FATAL, 1 RUNNING, 0 RESTARTING, -1 SHUTDOWN.",
    )
    state.add(int(daemon.state), label_text((("state", daemon.state.name),)))
    pid = Family("minder_daemon_pid", "gauge", "Process id of minderd.")
    pid.add(daemon.pid)
    start = Family("minder_daemon_start_time_seconds", "gauge", "Start time of minderd (epoch).")
    usage = _usage_families("minder_daemon", "minderd itself")
    if daemon.usage is not None:
        start.add(daemon.usage.start_time)
        _add_usage(usage, daemon.usage, "")
    return [up, info, state, pid, start, *usage]


def process_families(
    processes: Sequence[ProcessSnapshot], usages: Mapping[int, Usage]
) -> list[Family]:
    counts = Family("minder_processes", "gauge", "Number of processes in each state.")
    state = Family("minder_process_state", "gauge", "supervisord state code of the process.")
    state_info = Family(
        "minder_process_state_info", "gauge", "1, labelled with the process's state name."
    )
    pid = Family("minder_process_pid", "gauge", "Process id, 0 when not running.")
    start = Family(
        "minder_process_start_time_seconds", "gauge", "Last start (epoch), 0 if never started."
    )
    status = Family("minder_process_exit_status", "gauge", "Exit status of the last exit.")
    usage = _usage_families("minder_process", "the process (not its children)")
    per_state = Counter(p.state for p in processes)
    for s in ProcessState:
        counts.add(per_state[s], label_text((("state", s.name),)))
    for p in processes:
        ident = (("group", p.group), ("name", p.name))
        labels = label_text(ident)
        state.add(int(p.state), labels)
        state_info.add(1, label_text((*ident, ("state", p.state.name))))
        pid.add(p.pid, labels)
        start.add(p.start, labels)
        status.add(p.exitstatus, labels)
        sampled = usages.get(p.pid) if p.pid else None
        if sampled is not None:
            _add_usage(usage, sampled, labels)
    return [counts, state, state_info, pid, start, status, *usage]


def vitals_families(processes: Sequence[ProcessSnapshot]) -> list[Family]:
    """minder's readiness, health and restart counters per process (issue 16)."""
    ready = Family("minder_process_ready", "gauge",
                   "1 when the process is ready (RUNNING, or past its ready_check).")
    restarts = Family("minder_process_restarts_total", "counter",
                      "Starts after the first, whatever caused them.")
    health = Family("minder_process_health_restarts_total", "counter",
                    "Restarts caused by failed liveness checks.")
    memory = Family("minder_process_memory_restarts_total", "counter",
                    "Restarts caused by exceeding memory_limit.")
    failing = Family("minder_process_health_failures", "gauge",
                     "Consecutive failed liveness probes right now.")
    for p in processes:
        v = p.vitals
        if v is None:
            continue
        labels = label_text((("group", p.group), ("name", p.name)))
        ready.add(int(v.ready), labels)
        restarts.add(v.restarts, labels)
        health.add(v.health_restarts, labels)
        memory.add(v.memory_restarts, labels)
        if v.health_check:
            failing.add(v.health_failures, labels)
    return [ready, restarts, health, memory, failing]


def listener_families(
    drops: Mapping[str, int], overruns: Mapping[str, int] | None = None
) -> list[Family]:
    dropped = Family(
        "minder_event_buffer_dropped_total",
        "counter",
        "Events an event listener pool discarded because its buffer was full.",
    )
    for pool in sorted(drops):
        dropped.add(drops[pool], label_text((("pool", pool),)))
    overrun = Family(
        "minder_event_listener_overruns_total",
        "counter",
        "Listeners of a pool restarted for writing more than the daemon buffers.",
    )
    for pool in sorted(overruns or {}):
        overrun.add((overruns or {})[pool], label_text((("pool", pool),)))
    return [dropped, overrun]


def families(
    daemon: DaemonFacts,
    processes: Sequence[ProcessSnapshot],
    usages: Mapping[int, Usage],
    drops: Mapping[str, int],
    overruns: Mapping[str, int] | None = None,
) -> list[Family]:
    return [
        *daemon_families(daemon),
        *process_families(processes, usages),
        *vitals_families(processes),
        *listener_families(drops, overruns),
    ]


# --- the endpoint -------------------------------------------------------------


async def scrape(api: EngineAPI) -> str:
    """One scrape's text; served by the fast path (lightweb.py) or aiohttp alike."""
    processes = api.snapshots()
    own, usages = await api.usage()
    daemon = DaemonFacts(api.supervisor_state(), api.identification(), api.pid(), own)
    drops, overruns = api.event_buffer_drops(), api.listener_overruns()
    return render(families(daemon, processes, usages, drops, overruns))


def metrics_handler(api: EngineAPI) -> Handler:
    from aiohttp import web

    async def handle_metrics(request: web.Request) -> web.StreamResponse:
        text = await scrape(api)
        return web.Response(
            body=text.encode(),
            headers={"Content-Type": CONTENT_TYPE, "Cache-Control": "no-store"},
        )

    return handle_metrics
