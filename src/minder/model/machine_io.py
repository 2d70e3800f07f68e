"""The vocabulary between the process state machine and the engine.

Separate from model/machine.py because it is the contract, not the
decisions: the inputs the engine feeds the table (a request, a spawn's
outcome, an exit, a timer expiring), the effects the table asks the engine
to perform (spawn, kill, a state change to publish, a log line), and the
timers the engine arms. model/machine.py re-exports every name, so callers
keep writing ``mc.Start()``.
"""

from __future__ import annotations

from enum import Enum

from minder.protocol.states import ProcessState as S
from minder.records import record


class Timer(Enum):
    STARTSECS = "startsecs"
    BACKOFF = "backoff"
    STOPWAIT = "stopwaitsecs"
    RESTART = "restart"  # a paced restart after a quick exit (EXITED)
    COOLDOWN = "fatal_cooldown"  # a retry of a FATAL process



# --- inputs ---------------------------------------------------------------


@record
class Start:
    """A start request (autostart, autorestart by the engine, or RPC)."""


@record
class Spawned:
    """The child runs, with this pid."""

    pid: int


@record
class SpawnFailed:
    """The child could not be started."""

    error: str  # supervisord's spawnerr text, e.g. "can't find command 'x'"


@record
class Exited:
    """The child was reaped. ``status`` is the exit code, or -1 for a signal."""

    status: int
    signal: int = 0  # the terminating signal, 0 for a normal exit
    may_restart: bool = True  # False while the daemon is shutting down
    rand: float = 0.5  # uniform in [0, 1): the jitter of a paced restart


@record
class TimerFired:
    """The machine's pending timer is due."""

    timer: Timer
    may_restart: bool = True


@record
class Stop:
    """A stop request (RPC, shutdown, update)."""


@record
class GiveUp:
    """Shutdown: a BACKOFF process will not be retried."""


@record
class SignalFailed:
    """Sending a signal raised something other than ESRCH."""

    error: str


@record
class StartFailed:
    """minder: the start was judged failed after the process was stopped.

    Sent once a process that never became ready within ``ready_deadline`` has
    been stopped; ``tries`` counts such failures in a row, so retries and
    FATAL follow startretries exactly as for a process that exits too soon.
    """

    error: str
    tries: int


Input = (
    Start | Spawned | SpawnFailed | Exited | TimerFired | Stop | GiveUp | SignalFailed
    | StartFailed
)


# --- effects --------------------------------------------------------------


@record
class Spawn:
    """Fork/exec the command now, then feed Spawned or SpawnFailed."""


@record
class Kill:
    """Send ``signum`` to the child (or to its process group)."""

    signum: int
    to_group: bool  # signal -pid (the child's process group)


@record
class Changed:
    """A state change, with the values an event must carry at this moment."""

    from_state: S
    to_state: S
    pid: int
    tries: int
    expected: bool


@record
class Log:
    """A main-log line the transition writes."""

    level: str  # "info", "warn", "debug", ...
    message: str


Effect = Spawn | Kill | Changed | Log
