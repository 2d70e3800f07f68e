"""Raise the open-files and process limits to ``minfds`` / ``minprocs`` at start.

A supervisor that runs out of descriptors half-way through spawning is far
worse than one that refuses to start, so, like supervisord, a soft limit
below the minimum is raised (the hard limit too, if root may) and an
impossible raise stops the start with an explanation. An unlimited hard
limit stays unlimited.
"""

from __future__ import annotations

import resource

from minder.records import record


class RlimitError(Exception):
    """The limit cannot be raised; printed as ``Error: <message>`` with exit 2."""


@record
class _Limit:
    """A limit the daemon raises at start: its config key (minfds, minprocs) and what it counts."""

    name: str
    resource: int
    setting: str
    what: str


NOFILE = _Limit("RLIMIT_NOFILE", resource.RLIMIT_NOFILE, "minfds", "file descriptors")
NPROC = _Limit("RLIMIT_NPROC", resource.RLIMIT_NPROC, "minprocs", "processes")


def raise_limits(minfds: int, minprocs: int) -> list[str]:
    """Raise both limits; returns the INFO lines to log, raises RlimitError."""
    notes = []
    for limit, minimum in ((NOFILE, minfds), (NPROC, minprocs)):
        note = _raise_one(limit, minimum)
        if note is not None:
            notes.append(note)
    return notes


def _raise_one(limit: _Limit, minimum: int) -> str | None:
    soft, hard = resource.getrlimit(limit.resource)
    if soft == resource.RLIM_INFINITY or soft >= minimum:
        return None
    new_hard = hard if hard == resource.RLIM_INFINITY else max(hard, minimum)
    try:
        resource.setrlimit(limit.resource, (minimum, new_hard))
    except (ValueError, OSError):
        allowed = "unlimited" if hard == resource.RLIM_INFINITY else str(hard)
        raise RlimitError(
            f"The minimum number of {limit.what} required to run this process is {minimum} "
            f"as per the {limit.setting!r} command-line argument or config file setting. "
            f"The current environment will only allow {allowed} {limit.what} "
            f"({limit.name} hard limit). Either raise the limit in your environment "
            f"(ulimit, systemd's Limit* settings, /etc/security/limits.conf) or lower the "
            f"{limit.setting} setting so that minderd can start."
        ) from None
    return f"Increased {limit.name} limit to {minimum}"
