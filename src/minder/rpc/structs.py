"""Result structs of the supervisor namespace, built from engine snapshots.

Kept apart from the method table so the JSON API and the web UI can show
exactly the text supervisorctl shows (``description``) without going
through XML-RPC.
"""

from __future__ import annotations

import datetime
import time

from minder.engine.api import ConfigEntry, ProcessSnapshot
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.results import CallResult, ConfigInfo, ProcessInfo
from minder.protocol.states import ProcessState


def as_text(data: bytes) -> str:
    """Log bytes as text: invalid UTF-8 becomes U+FFFD instead of an error."""
    return data.decode("utf-8", errors="replace")


def uptime_of(snap: ProcessSnapshot) -> int:
    """Whole seconds since the process started (0 if the clock stepped back)."""
    return max(0, int(snap.now - snap.start))


def uptime_text(seconds: int) -> str:
    """``H:MM:SS``, or ``N day(s), H:MM:SS``: supervisord's ``str(timedelta)``."""
    return str(datetime.timedelta(seconds=seconds))


def running_description(pid: int, uptime: str) -> str:
    """A RUNNING process's description, given its ``uptime_text``."""
    return f"pid {pid}, uptime {uptime}"


def scheduled_restart(snap: ProcessSnapshot) -> str:
    """minder's paced restarts (EXITED) and FATAL retries say when the next try is.

    An absolute time, not a countdown, so the text only changes with the
    schedule (the info cache and the web UI keep it as long as it holds).
    """
    if not snap.next_start or snap.state not in (ProcessState.EXITED, ProcessState.FATAL):
        return ""
    when = time.strftime("%H:%M:%S", time.localtime(snap.next_start))
    fraction = int((snap.next_start % 1) * 10)
    reason = "crash loop" if snap.state == ProcessState.EXITED else "fatal_cooldown"
    return f"{reason}: next start at {when}.{fraction}"


def readiness_suffix(snap: ProcessSnapshot) -> str:
    """minder: ", ready" / ", not ready" after a RUNNING description, for
    processes with a ready_check or health_check only (any other process's
    description stays supervisord's, word for word)."""
    v = snap.vitals
    if v is None or snap.state is not ProcessState.RUNNING:
        return ""
    if not (v.ready_check or v.health_check):
        return ""
    text = ", ready" if v.ready else ", not ready"
    if v.health_failures:
        text += f", {v.health_failures} failed health checks"
    return text


def describe(snap: ProcessSnapshot) -> str:
    """The one-line ``description`` supervisorctl prints after the state."""
    state = snap.state
    if state == ProcessState.RUNNING:
        return running_description(snap.pid, uptime_text(uptime_of(snap))) + readiness_suffix(snap)
    scheduled = scheduled_restart(snap)
    if scheduled:
        return scheduled if state == ProcessState.EXITED else f"{snap.spawnerr}; {scheduled}"
    if state in (ProcessState.BACKOFF, ProcessState.FATAL):
        return snap.spawnerr or f'unknown error (try "tail {snap.name}")'
    if state in (ProcessState.STOPPED, ProcessState.EXITED):
        waiting = snap.vitals.waiting if snap.vitals is not None else ""
        if waiting and state is ProcessState.STOPPED:  # minder's depends_on
            return f"Not started ({waiting})"
        if snap.start:
            return time.strftime("%b %d %I:%M %p", time.localtime(snap.stop))
        return "Not started"
    return ""


def process_info(snap: ProcessSnapshot) -> ProcessInfo:
    return {
        "name": snap.name,
        "group": snap.group,
        "start": int(snap.start),
        "stop": int(snap.stop),
        "now": int(snap.now),
        "state": int(snap.state),
        "statename": snap.state.name,
        "spawnerr": snap.spawnerr or "",
        "exitstatus": snap.exitstatus,
        "logfile": snap.stdout_logfile or "",
        "stdout_logfile": snap.stdout_logfile or "",
        "stderr_logfile": snap.stderr_logfile or "",
        "pid": snap.pid,
        "description": describe(snap),
    }


def _logfile_text(configured: str | None, auto: bool) -> str:
    if configured and configured.upper() != "AUTO":
        return configured
    if configured or auto:
        return "auto"
    return "none"


def config_info(entry: ConfigEntry) -> ConfigInfo:
    proc = entry.process
    stdout, stderr = proc.stdout, proc.stderr
    stderr_auto = stderr.auto and not proc.redirect_stderr
    return {
        "autostart": proc.autostart,
        "directory": proc.directory if proc.directory is not None else "none",
        "uid": proc.uid if proc.uid is not None else "none",  # type: ignore[typeddict-item]
        "command": proc.command,
        "exitcodes": list(proc.exitcodes),
        "group": entry.group.name,
        "group_prio": entry.group.priority,
        "inuse": entry.inuse,
        "killasgroup": proc.killasgroup,
        "name": proc.name,
        "process_prio": proc.priority,
        "redirect_stderr": proc.redirect_stderr,
        "startretries": proc.startretries,
        "startsecs": proc.startsecs,
        "stdout_capture_maxbytes": stdout.capture_maxbytes,
        "stdout_events_enabled": stdout.events_enabled,
        "stdout_logfile": _logfile_text(entry.stdout_logfile, stdout.auto),
        "stdout_logfile_backups": stdout.backups,
        "stdout_logfile_maxbytes": stdout.maxbytes,
        "stdout_syslog": stdout.syslog,
        "stopsignal": proc.stopsignal,
        "stopwaitsecs": proc.stopwaitsecs,
        "stderr_capture_maxbytes": stderr.capture_maxbytes,
        "stderr_events_enabled": stderr.events_enabled,
        "stderr_logfile": _logfile_text(entry.stderr_logfile, stderr_auto),
        "stderr_logfile_backups": stderr.backups,
        "stderr_logfile_maxbytes": stderr.maxbytes,
        "stderr_syslog": stderr.syslog,
        "serverurl": proc.serverurl if proc.serverurl is not None else "none",
    }


def call_result(group: str, name: str, fault: SupervisorFault | None) -> CallResult:
    """One entry of a group/all result array (status 80 = SUCCESS)."""
    if fault is None:
        return {"name": name, "group": group, "status": int(Faults.SUCCESS), "description": "OK"}
    return {"name": name, "group": group, "status": int(fault.code), "description": fault.text}
