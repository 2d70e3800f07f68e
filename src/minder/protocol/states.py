"""Process, supervisor and listener states with supervisord's numeric codes.

The codes are part of the XML-RPC contract (``getProcessInfo()['state']``,
``getState()['statecode']``), so they must never change.
"""

from __future__ import annotations

from enum import IntEnum


class ProcessState(IntEnum):
    STOPPED = 0
    STARTING = 10
    RUNNING = 20
    BACKOFF = 30
    STOPPING = 40
    EXITED = 100
    FATAL = 200
    UNKNOWN = 1000


class SupervisorState(IntEnum):
    FATAL = 2
    RUNNING = 1
    RESTARTING = 0
    SHUTDOWN = -1


class ListenerState(IntEnum):
    READY = 10
    BUSY = 20
    ACKNOWLEDGED = 30
    UNKNOWN = 40


STOPPED_STATES = frozenset(
    {ProcessState.STOPPED, ProcessState.EXITED, ProcessState.FATAL, ProcessState.UNKNOWN}
)
RUNNING_STATES = frozenset({ProcessState.RUNNING, ProcessState.BACKOFF, ProcessState.STARTING})
SIGNALLABLE_STATES = frozenset(
    {ProcessState.RUNNING, ProcessState.STARTING, ProcessState.STOPPING}
)
