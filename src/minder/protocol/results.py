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


class ProcessVitals(TypedDict):
    """minder.getProcessVitals's answer: minder's view beyond supervisord's state."""

    group: str
    name: str
    statename: str
    ready: bool  # RUNNING, or past its ready_check
    ready_check: str  # "" when ready means RUNNING
    health_check: str  # "" without a liveness check
    status: str  # the last STATUS= sent over sd_notify
    health_failures: int  # consecutive failed liveness probes
    last_answer: str  # the last probe's answer
    restarts: int  # starts after the first, whoever caused them
    health_restarts: int
    memory_restarts: int
    last_exit: str  # "exit status 1", "terminated by SIGTERM (why minder stopped it)"
    waiting: str  # depends_on: why it is not started yet
    essential: bool
    cpu_percent: float  # of one core since the previous reading; 0.0 when not running
    rss: int  # bytes; 0 when not running


class RolloutResult(TypedDict):
    """One entry of minder.rollingRestart's answer."""

    group: str
    name: str
    outcome: str  # "restarted", "failed", "not reached"
    detail: str  # "pid 12 -> 34", or why it failed
