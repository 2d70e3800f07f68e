"""TypedDicts for the XML-RPC results of supervisord 4.3.

Keys and value types are the contract that supervisorctl, superlance and
dashboards read; every key is always present.
"""

from __future__ import annotations

from typing import TypedDict


class StateInfo(TypedDict):
    statecode: int
    statename: str


class ProcessInfo(TypedDict):
    name: str
    group: str
    start: int
    stop: int
    now: int
    state: int
    statename: str
    spawnerr: str
    exitstatus: int
    logfile: str
    stdout_logfile: str
    stderr_logfile: str
    pid: int
    description: str


class CallResult(TypedDict):
    name: str
    group: str
    status: int
    description: str


class ConfigInfo(TypedDict):
    autostart: bool
    directory: str
    uid: str
    command: str
    exitcodes: list[int]
    group: str
    group_prio: int
    inuse: bool
    killasgroup: bool
    name: str
    process_prio: int
    redirect_stderr: bool
    startretries: int
    startsecs: int
    stdout_capture_maxbytes: int
    stdout_events_enabled: bool
    stdout_logfile: str
    stdout_logfile_backups: int
    stdout_logfile_maxbytes: int
    stdout_syslog: bool
    stopsignal: int
    stopwaitsecs: int
    stderr_capture_maxbytes: int
    stderr_events_enabled: bool
    stderr_logfile: str
    stderr_logfile_backups: int
    stderr_logfile_maxbytes: int
    stderr_syslog: bool
    serverurl: str


class TailResult(TypedDict):
    """Not a struct on the wire (tail returns an array); kept for typing."""

    bytes: str
    offset: int
    overflow: bool


class GroupUpdateInfo(TypedDict):
    """minder.updateProcessGroup's answer (minder only, not in supervisord)."""

    group: str
    action: str  # "added", "removed", "updated" or "unchanged"
    restarted: list[str]  # process names stopped and recreated
    added: list[str]
    removed: list[str]
