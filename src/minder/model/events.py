"""Domain events the engine publishes on its bus.

Consumers: the event-listener pools (which render supervisord's wire
format from these), the web UI's live stream, metrics. They are plain data,
captured at the moment of the change, so a slow consumer sees the values of
that moment and never reads live engine state.
"""

from __future__ import annotations

from minder.protocol.states import ProcessState, SupervisorState
from minder.records import record


@record
class ProcessStateChanged:
    """A process moved from one state to another (PROCESS_STATE_* events)."""

    group: str
    name: str
    from_state: ProcessState
    to_state: ProcessState
    pid: int  # the pid concerned (old pid for STOPPED/EXITED; 0 if none)
    tries: int  # backoff count (STARTING, BACKOFF)
    expected: bool  # EXITED only
    when: float  # epoch seconds


@record
class ProcessReadinessChanged:
    """minder: a process became ready or stopped being ready (no supervisord event)."""

    group: str
    name: str
    ready: bool
    reason: str  # one line: the probe's answer, "READY=1", "RUNNING", "exited"
    when: float


@record
class RolloutProgress:
    """minder: one step of a rolling restart (for the web UI's progress)."""

    rollout: str  # an id per rollout
    namespec: str  # "" for the final "done"/"aborted"
    phase: str  # "stopping", "starting", "ready", "failed", "done", "aborted"
    done: int  # processes finished so far
    total: int
    detail: str
    when: float


@record
class ProcessLogChunk:
    """Output read from a child (emitted only while someone subscribes)."""

    group: str
    name: str
    channel: str  # "stdout" or "stderr"
    pid: int
    data: bytes


@record
class ProcessCommunication:
    """Bytes captured between XSUPERVISOR:BEGIN and END tokens."""

    group: str
    name: str
    channel: str
    pid: int
    data: bytes


@record
class GroupAdded:
    """A process group was created (PROCESS_GROUP_ADDED)."""

    group: str


@record
class GroupRemoved:
    """A process group was removed (PROCESS_GROUP_REMOVED)."""

    group: str


@record
class SupervisorStateChanged:
    """The daemon is running, or is stopping (SUPERVISOR_STATE_CHANGE_*)."""

    state: SupervisorState  # RUNNING or SHUTDOWN/RESTARTING (-> STOPPING event)


@record
class Tick:
    """A TICK_5, TICK_60 or TICK_3600 event."""

    period: int  # 5, 60 or 3600
    when: int  # aligned epoch: int(now - now % period)


@record
class RemoteCommunication:
    """``sendRemoteCommEvent`` over XML-RPC (REMOTE_COMMUNICATION)."""

    type: str
    data: str


@record
class MainLogLine:
    """A line written to the daemon's main log (for /mainlogtail and the UI)."""

    data: bytes


DomainEvent = (
    ProcessStateChanged
    | ProcessReadinessChanged
    | RolloutProgress
    | ProcessLogChunk
    | ProcessCommunication
    | GroupAdded
    | GroupRemoved
    | SupervisorStateChanged
    | Tick
    | RemoteCommunication
    | MainLogLine
)
