"""Restart pacing: how long to wait before the next start, as pure arithmetic.

Why this exists: the engine is event-driven, so a program that exits at once
with ``autorestart=true`` would be respawned as fast as the machine can fork
(supervisord's 1 s poll loop throttled it by accident). Three rules decide,
all without clocks or randomness of their own (the caller passes ``uptime``
and a uniform random number), so unit tests run in microseconds:

* **Crash loop** (a RUNNING process that exits and is restarted): a process
  that was up for at least ``reset`` seconds comes back at once, which keeps
  the headline respawn latency. One that keeps exiting sooner is restarted
  after ``first * factor**(streak-1)`` seconds, capped at ``cap``, with
  +/-``JITTER`` so that many programs failing together do not restart in
  lock-step (systemd's RestartSec/RestartSteps, s6's 1 s throttle).
* **Failed starts** (exit before ``startsecs``): supervisord's BACKOFF path
  unchanged: the n-th retry waits n seconds, FATAL after ``startretries``;
  ``forever`` never gives up, and then the delay stops growing at ``cap``.
* **FATAL cool-down** (off by default, as in supervisord): after
  ``fatal_cooldown`` seconds a FATAL process is tried again from scratch.
"""

from __future__ import annotations

from minder.records import record

JITTER = 0.25  # each delay is scaled by a factor in [1 - JITTER, 1 + JITTER)


@record
class Pacing:
    """The restart policy of one program (keys ``restart_backoff_*``, ``fatal_cooldown``...)."""

    first: float = 0.1  # restart_backoff_secs: the first delay of a crash loop
    factor: float = 2.0  # restart_backoff_factor
    cap: float = 30.0  # restart_backoff_max
    reset: float = 1.0  # restart_backoff_reset: an uptime this long ends a crash loop
    fatal_cooldown: float = 0.0  # seconds before FATAL is retried; 0 = never
    forever: bool = False  # startretries_forever: BACKOFF never becomes FATAL


DEFAULT_PACING = Pacing()


def crash_streak(pacing: Pacing, streak: int, uptime: float) -> int:
    """The crash-loop count after an exit following ``uptime`` seconds of running."""
    if uptime >= pacing.reset:
        return 0
    return streak + 1


def crash_delay(pacing: Pacing, streak: int, rand: float) -> float:
    """Seconds to wait before restarting after ``streak`` quick exits in a row.

    ``rand`` is uniform in [0, 1); 0 quick exits means restart at once.
    """
    if streak <= 0 or pacing.first <= 0:
        return 0.0
    # Exponent capped so a long loop cannot overflow the float.
    base = min(pacing.cap, pacing.first * pacing.factor ** min(streak - 1, 64))
    return base * (1.0 - JITTER + 2.0 * JITTER * rand)


def failed_start_delay(pacing: Pacing, tries: int) -> float:
    """supervisord's BACKOFF delay for the ``tries``-th failed start (1 s, 2 s, 3 s...)."""
    if pacing.forever:
        return float(min(tries, max(pacing.cap, 1.0)))
    return float(tries)


def gives_up(pacing: Pacing, tries: int, startretries: int) -> bool:
    """Whether the ``tries``-th failed start ends in FATAL."""
    return not pacing.forever and tries > startretries


def describe_delay(seconds: float) -> str:
    """``restart in 1.6s``: the text status, the JSON API and the web UI show."""
    return f"restart in {max(0.0, seconds):.1f}s"
