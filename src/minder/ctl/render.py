"""Pure formatting of RPC results into supervisorctl's text and minderctl's JSON.

Column widths are computed on the plain text and colour is wrapped around
the state name afterwards, so coloured and plain output line up the same.
"""

from __future__ import annotations

from minder.protocol.names import make_namespec

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

RESET = "\x1b[0m"
STATE_COLOURS = {
    "RUNNING": "\x1b[32m",  # green
    "STARTING": "\x1b[36m",  # cyan
    "STOPPING": "\x1b[36m",
    "BACKOFF": "\x1b[33m",  # yellow
    "STOPPED": "\x1b[2m",  # dim
    "EXITED": "\x1b[33m",
    "FATAL": "\x1b[1;31m",  # bold red
    "UNKNOWN": "\x1b[1;31m",
}
# honcho/foreman-style prefixes for interleaved tails
PREFIX_COLOURS = ("\x1b[36m", "\x1b[33m", "\x1b[32m", "\x1b[35m", "\x1b[34m",
                  "\x1b[96m", "\x1b[93m", "\x1b[92m", "\x1b[95m", "\x1b[94m")


def paint(text: str, code: str | None, colour: bool) -> str:
    if not colour or not code:
        return text
    return f"{code}{text}{RESET}"


def status_lines(infos: Iterable[Mapping[str, Any]], colour: bool = False) -> list[str]:
    """``status`` rows: namespec padded to max(30, longest)+3, state to 10, description."""
    rows = [(make_namespec(i["group"], i["name"]), str(i["statename"]), str(i["description"]))
            for i in infos]
    width = max([30, *(len(r[0]) for r in rows)]) + 3
    lines = []
    for namespec, state, description in rows:
        padded = state.ljust(10)
        if colour:
            padded = paint(state, STATE_COLOURS.get(state), True) + padded[len(state):]
        lines.append(f"{namespec.ljust(width)}{padded}{description}")
    return lines


def avail_line(info: Mapping[str, Any]) -> str:
    namespec = make_namespec(info["group"], info["name"])
    inuse = "in use" if info["inuse"] else "avail"
    auto = "auto" if info["autostart"] else "manual"
    priority = f"{info['group_prio']}:{info['process_prio']}"
    return f"{namespec:<32} {inuse:<9} {auto:<9} {priority}"


# minder.getProcessVitals keys that ``status --json`` adds (against minderd only).
VITALS_KEYS = (
    "ready", "ready_check", "health_check", "status", "health_failures", "last_answer",
    "restarts", "health_restarts", "memory_restarts", "last_exit", "waiting", "essential",
    "cpu_percent", "rss",
)


def status_json(
    infos: Iterable[Mapping[str, Any]],
    vitals: Mapping[tuple[str, str], Mapping[str, Any]] | None = None,
) -> list[dict[str, Any]]:
    """The documented ``status --json`` shape: one object per process.

    ``uptime`` is seconds since start for a running process, else null; the
    other keys are getProcessInfo's, plus ``namespec`` (what commands accept),
    plus minder's VITALS_KEYS when the daemon is minderd.
    """
    out = []
    for info in infos:
        extra = (vitals or {}).get((info["group"], info["name"]), {})
        running = info["statename"] == "RUNNING" and info.get("start", 0)
        out.append({
            "namespec": make_namespec(info["group"], info["name"]),
            "group": info["group"],
            "name": info["name"],
            "state": info["statename"],
            "statecode": info["state"],
            "description": info["description"],
            "pid": info["pid"],
            "start": info.get("start", 0),
            "stop": info.get("stop", 0),
            "now": info.get("now", 0),
            "uptime": max(0, info["now"] - info["start"]) if running else None,
            "exitstatus": info.get("exitstatus", 0),
            "spawnerr": info.get("spawnerr", ""),
            "stdout_logfile": info.get("stdout_logfile", ""),
            "stderr_logfile": info.get("stderr_logfile", ""),
            **{key: extra[key] for key in VITALS_KEYS if key in extra},
        })
    return out


def avail_json(infos: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The documented ``avail --json`` shape: one object per configured process."""
    return [
        {
            "namespec": make_namespec(info["group"], info["name"]),
            "group": info["group"],
            "name": info["name"],
            "inuse": bool(info["inuse"]),
            "autostart": bool(info["autostart"]),
            "group_priority": info["group_prio"],
            "process_priority": info["process_prio"],
        }
        for info in infos
    ]


def changes_lines(added: list[str], changed: list[str], removed: list[str]) -> list[str]:
    """``reread`` output: sorted ``name: available|changed|disappeared``."""
    kinds: dict[str, str] = {}
    for names, kind in ((added, "available"), (changed, "changed"), (removed, "disappeared")):
        for name in names:
            kinds[name] = kind
    if not kinds:
        return ["No config updates to processes"]
    return [f"{name}: {kinds[name]}" for name in sorted(kinds)]


def tail_prefixes(names: list[str], colour: bool) -> dict[str, str]:
    """``name | `` prefixes padded to the longest name, each its own colour."""
    width = max((len(n) for n in names), default=0)
    return {
        name: paint(name.ljust(width) + " | ", PREFIX_COLOURS[i % len(PREFIX_COLOURS)], colour)
        for i, name in enumerate(names)
    }
