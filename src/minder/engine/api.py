"""EngineAPI: the narrow facade every front end (XML-RPC, JSON, web UI) calls.

Front ends never touch processes; they call these methods, which post a
command to the owning process and await its answer. Errors are raised
as ``SupervisorFault`` with supervisord's fault code, so the XML-RPC layer
only has to translate and the JSON layer can reuse the same codes.

Every control verb exists once, in the engine (engine/control.py), for one
process (``*_process``: refusals raise) and for a group or everything
(``*_processes``: only eligible processes, one ``Outcome`` each). Which
processes are eligible, in what order they are acted on, and what is
checked first are decided there, never by a front end. A new verb is one
method here, one in engine/control.py and a few lines of marshalling per
front end (see docs/architecture.md).

This module defines the contract (a Protocol plus plain data); the engine's
``Supervisor`` implements it. Adding a method is fine; changing one means
changing every caller in the same commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Protocol

# The collector's policy (engine/gcpause.py), for a front end that builds a
# whole-fleet answer from the snapshots: the one owner stays in the engine.
from minder.engine.gcpause import collections_paused as collections_paused
from minder.model.events import DomainEvent
from minder.model.specs import GroupSpec, ProcessSpec, RootSpec
from minder.protocol.faults import SupervisorFault
from minder.protocol.states import RUNNING_STATES, ProcessState, SupervisorState
from minder.records import record

MAX_LOG_REPLY = 16 * 1024 * 1024  # most bytes one log read (or one multicall) returns
MAX_LOG_SLICE = 1024 * 1024  # most bytes one log viewer read (read_log_slice) returns


@record
class LogRef:
    """A log the engine can read: a process's channel, or the main log (no group)."""

    group: str | None = None
    name: str | None = None
    channel: str = "stdout"  # "stdout" or "stderr"; ignored for the main log

    @property
    def is_main(self) -> bool:
        return self.group is None


@record
class LogSlice:
    """Bytes of a log by file offset, cut on UTF-8 character boundaries (the viewer's read)."""

    data: bytes
    start: int  # file offset of data[0]
    offset: int  # file offset just after the data: ask for this next
    size: int  # file size when read
    reset: bool  # the file shrank below the requested offset; read from 0
    more: bool = False  # the length limit cut the read short: ask again at once


class LogStream(Protocol):
    """New bytes of a followed log as they are written (``tail -f``)."""

    def __aiter__(self) -> AsyncIterator[bytes]: ...

    def close(self) -> None: ...


@record
class Usage:
    """What the kernel says about one process (sampled by the engine, which owns the pids)."""

    cpu_seconds: float  # user + system, this process only
    rss_bytes: int
    open_fds: int | None  # None when /proc/<pid>/fd is not readable
    start_time: float  # epoch


@record
class VitalsSnapshot:
    """minder's view of a process beyond supervisord's state (issue 16)."""

    ready: bool
    ready_check: str  # "" when ready means RUNNING
    health_check: str  # "" without a liveness check
    status: str  # the last STATUS= the process sent over sd_notify
    health_failures: int  # consecutive failed liveness probes
    last_answer: str  # the last probe's answer
    restarts: int  # spawns after the first, whatever caused them
    health_restarts: int
    memory_restarts: int
    last_exit: str  # "exit status 1", "terminated by SIGKILL (…why minder stopped it)"
    essential: bool
    waiting: str = ""  # depends_on: "waiting for db to be ready", "dependency db is FATAL"


@record
class ProcessSnapshot:
    """The state of one process at one moment (cheap to build, immutable)."""

    group: str
    name: str
    state: ProcessState
    pid: int  # 0 when not running
    start: float  # epoch of the last start, 0 if never started
    stop: float  # epoch of the last stop, 0 if never stopped
    now: float
    exitstatus: int  # -1 when killed by a signal
    spawnerr: str
    stdout_logfile: str  # real path ('' for NONE / syslog-only)
    stderr_logfile: str  # real path ('' for NONE or redirected)
    spec: ProcessSpec
    group_priority: int
    next_start: float = 0.0  # epoch of a scheduled restart (crash-loop pacing), 0 if none
    vitals: VitalsSnapshot | None = None  # minder (issue 16); None for stand-in engines

    @property
    def stoppable(self) -> bool:
        """Running, or waiting for a paced restart / FATAL retry that stop cancels.

        For display; the engine's stops decide with ``ProcessRunner.stoppable``.
        """
        if self.state in RUNNING_STATES:
            return True
        return bool(self.next_start) and self.state in (ProcessState.EXITED, ProcessState.FATAL)


@record
class RolloutStep:
    """One process's part in a rolling restart (minder)."""

    namespec: str
    outcome: str  # "restarted", "failed", "not reached"
    detail: str  # "pid 12 -> 34", or why it failed


@record
class ConfigDiff:
    """Group names, each list sorted; ``plans``: what update would do to each changed group.

    A plan is the ``GroupUpdate`` that ``update_group`` would report (action
    "updated"), from the same rule (model/diff.py), so that a front end can
    say which processes will restart before anything does.
    """

    added: tuple[str, ...]
    changed: tuple[str, ...]
    removed: tuple[str, ...]
    plans: tuple[GroupUpdate, ...] = ()


@record
class Outcome:
    """What a verb did to one process of a group or of everything."""

    group: str
    name: str
    fault: SupervisorFault | None  # None: done


@record
class GroupUpdate:
    """What an update did to one group, by process name (each sorted).

    ``action`` is "added", "removed", "updated" or "unchanged"; ``fault`` is
    set when the step was refused (a removed group whose stop failed).
    """

    group: str
    action: str
    restarted: tuple[str, ...] = ()
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    fault: SupervisorFault | None = None


@record
class ConfigEntry:
    """One process of the last-read config, for getAllConfigInfo/avail."""

    group: GroupSpec
    process: ProcessSpec
    inuse: bool  # its group is active in the engine
    stdout_logfile: str  # real path if the group is active and AUTO, else as configured
    stderr_logfile: str


class EventSubscription(Protocol):
    """A bounded queue of domain events; the oldest are dropped when full."""

    dropped: int

    def __aiter__(self) -> AsyncIterator[DomainEvent]: ...

    def close(self) -> None: ...


class EngineAPI(Protocol):
    # --- the daemon -------------------------------------------------------
    def supervisor_state(self) -> SupervisorState: ...

    def pid(self) -> int: ...

    def containment_info(self) -> dict[str, str]: ...

    def identification(self) -> str: ...

    def root_spec(self) -> RootSpec: ...

    def main_log_path(self) -> str | None: ...

    def clear_main_log(self) -> None: ...

    async def shutdown(self) -> None: ...

    async def restart(self) -> None: ...

    # --- config (reread / update) ----------------------------------------
    def reload_config(self) -> ConfigDiff:
        """Re-read the config file; raise SupervisorFault(CANT_REREAD)."""
        ...

    def config_entries(self) -> list[ConfigEntry]: ...

    async def add_group(self, name: str) -> None: ...

    async def remove_group(self, name: str) -> None: ...

    async def update_group(self, name: str) -> GroupUpdate:
        """minder's in-place update of one group from the last-read config.

        In a changed group only processes whose spec changed are restarted;
        the report says which. BAD_NAME if the group is neither active nor in
        the config.
        """
        ...

    async def update_all(self) -> list[GroupUpdate]:
        """supervisorctl's ``update`` in one call: re-read, then remove, update, add.

        Removed groups are stopped and removed (refused with FAILED if a stop
        failed), changed groups updated in place in priority order, new
        groups added. One report per group that was not unchanged.
        """
        ...

    # --- processes --------------------------------------------------------
    def snapshots(self) -> list[ProcessSnapshot]:
        """All processes, sorted by (group name, process name)."""
        ...

    def snapshot(self, group: str, name: str) -> ProcessSnapshot: ...

    def group_snapshots(self, group: str) -> list[ProcessSnapshot]:
        """Processes of one group in start order; BAD_NAME if no such group."""
        ...

    # One process: supervisord's checks, in its order; a refusal raises.
    async def start_process(self, group: str, name: str, wait: bool = True) -> None: ...

    async def stop_process(self, group: str, name: str, wait: bool = True) -> None: ...

    async def restart_process(self, group: str, name: str, wait: bool = True) -> None:
        """Stop if running (waiting for it), then start."""
        ...

    async def signal_process(self, group: str, name: str, sig: object) -> None:
        """``sig`` as a person wrote it (``HUP``, ``"40"``, 15); BAD_SIGNAL if it is none."""
        ...

    # A group (``group`` given) or everything (``group=None``), in one pass:
    # every request is made before any wait. Start order is supervisord's
    # (group priority, group name, priority, name); stops go in reverse.
    # Outcomes come in the order they were known: refusals first, then
    # completions (supervisord's result order). BAD_NAME for no such group.
    async def start_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        """Start every process that is not running."""
        ...

    async def stop_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        """Stop every running process."""
        ...

    async def restart_processes(self, group: str | None, wait: bool = True) -> list[Outcome]:
        """Stop every running one (one pass), then start them all; outcomes in start order."""
        ...

    async def signal_processes(self, group: str | None, sig: object) -> list[Outcome]:
        """Signal every signallable process (each gets BAD_SIGNAL if ``sig`` is none)."""
        ...

    async def clear_processes_logs(self, group: str | None) -> list[Outcome]: ...

    async def send_stdin(self, group: str, name: str, data: bytes) -> None: ...

    def clear_process_logs(self, group: str, name: str) -> None: ...

    def log_path(self, group: str, name: str, channel: str) -> str | None:
        """The current log file of a channel; None when it has none."""
        ...

    def send_remote_comm_event(self, type_: str, data: str) -> None: ...

    async def rolling_restart(
        self, targets: Sequence[tuple[str, str | None]], batch: int = 1
    ) -> list[RolloutStep]:
        """minder: restart targets ((group, name), or (group, None) for a whole
        group) ``batch`` at a time, each batch ready before the next; stops at
        the first failure, leaving the rest on their old instance."""
        ...

    def process_load(self, pid: int) -> tuple[float, int] | None:
        """minder: (CPU % of one core since the previous reading, RSS bytes) of a live pid."""
        ...

    # --- logs (engine/logs/access.py; file reads run off the event loop) ----
    async def read_log(self, ref: LogRef, offset: int, length: int) -> bytes:
        """readLog's rules: NO_FILE when there is no file, BAD_ARGUMENTS, FAILED."""
        ...

    async def tail_log(self, ref: LogRef, offset: int, length: int) -> tuple[bytes, int, bool]:
        """tailProcessLog's rules: (bytes, new offset = size, overflow); never NO_FILE."""
        ...

    async def read_log_slice(self, ref: LogRef, offset: int | None, length: int) -> LogSlice:
        """The viewer's read (``offset`` None: the last ``length`` bytes); NO_FILE, FAILED."""
        ...

    def follow_log(self, ref: LogRef, from_bytes: int, chunk_size: int) -> LogStream:
        """Follow a log from its last ``from_bytes``; FileNotFoundError when it has no file."""
        ...

    # --- usage ---------------------------------------------------------------
    async def usage(self) -> tuple[Usage | None, Mapping[int, Usage]]:
        """CPU/RSS/fds of the daemon, and of every child it runs now, by pid."""
        ...

    # --- events -----------------------------------------------------------
    def subscribe(self, *, logs: bool = False, maxsize: int = 1000) -> EventSubscription:
        """Follow domain events; with ``logs`` also every output chunk."""
        ...

    def event_buffer_drops(self) -> dict[str, int]:
        """Per listener pool, events discarded on buffer overflow (for /metrics)."""
        ...

    def listener_overruns(self) -> dict[str, int]:
        """Per listener pool, listeners restarted for writing past the bounds (for /metrics)."""
        ...
