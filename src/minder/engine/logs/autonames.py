"""AUTO child log paths and their cleanup, named exactly as supervisord names them.

``<procname>-<channel>---<identifier>-<random>.log`` in childlogdir, created
as mkstemp creates one (mode 0600, engine/logs/uniquefile.py) so the name
is unique and nobody else can read the output. Cleanup at start and reload
deletes the files of *this* identifier only (current files and rotated
backups), so two daemons sharing /tmp with different identifiers leave each
other's logs alone.

Start-up names every AUTO log before its first spawn but creates the files
after its burst of spawns (``AutoLogBatch``): 1,000 creates cost 15-40 ms on
a healthy disk and several times that in a directory where many files were
deleted recently, time the programs would otherwise wait for. The burst runs
in one turn of the event loop and the files are made before the loop turns
again, so no client request and no read of a child's output can see a
missing file; a child's early output waits in its pipe meanwhile.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from minder.engine.logs.uniquefile import NAME_LENGTH, create_new, create_unique, random_name

_SUFFIX = ".log"


def _prefix(procname: str, channel: str, identifier: str) -> str:
    return f"{procname}-{channel}---{identifier}-"


def auto_log_path(childlogdir: str, procname: str, channel: str, identifier: str) -> str:
    """Create an empty AUTO log file and return its absolute path."""
    fd, path = create_unique(childlogdir, _prefix(procname, channel, identifier), _SUFFIX)
    os.close(fd)
    return path


def chosen_auto_log_path(childlogdir: str, procname: str, channel: str, identifier: str) -> str:
    """The absolute path an AUTO log will get from ``create_auto_log``; nothing is created."""
    name = f"{_prefix(procname, channel, identifier)}{random_name()}{_SUFFIX}"
    return os.path.abspath(os.path.join(childlogdir, name))


def create_auto_log(path: str) -> str:
    """Create the AUTO log named by ``chosen_auto_log_path``; returns where it is.

    Made as ``auto_log_path`` makes one (``O_EXCL``, mode 0600): if the name
    was taken since it was chosen, a new random name beside it is used
    instead, never the file found there. Other OSErrors are raised.
    """
    try:
        os.close(create_new(path))
        return path
    except FileExistsError:
        directory, name = os.path.split(path)
        fd, fresh = create_unique(directory, name[: -(NAME_LENGTH + len(_SUFFIX))], _SUFFIX)
        os.close(fd)
        return fresh


class AutoLogBatch:
    """Start-up's AUTO logs: named at once, the files made after the burst of spawns.

    The first one is made at once, so that a childlogdir the daemon cannot
    write stops the start exactly where it did before (``cannot start``).
    Each later one is named only; ``create_all`` makes them all, and from
    then on every AUTO log asked of the batch is made at once again.
    """

    def __init__(self) -> None:
        self._proved = False
        self._done = False
        self._births: list[Callable[[], None]] = []

    def path(
        self, childlogdir: str, procname: str, channel: str, identifier: str
    ) -> tuple[str, bool]:
        """An AUTO log's path, and True while its file is still to be made (``later``)."""
        if self._proved and not self._done:
            return chosen_auto_log_path(childlogdir, procname, channel, identifier), True
        self._proved = True
        return auto_log_path(childlogdir, procname, channel, identifier), False

    def later(self, birth: Callable[[], None]) -> None:
        """Run ``birth`` (which makes the named logs) in ``create_all``, or now once it ran."""
        if self._done:
            birth()
        else:
            self._births.append(birth)

    def create_all(self) -> None:
        self._done = True
        births, self._births = self._births, []
        for birth in births:
            birth()


def auto_log_pattern(identifier: str) -> re.Pattern[str]:
    """supervisord's match (anchored at the start only), with the identifier escaped."""
    return re.compile(rf".+?---{re.escape(identifier)}-\S+\.log\.?\d{{0,4}}")


def cleanup_auto_logs(
    childlogdir: str,
    identifier: str,
    on_error: Callable[[str], None] | None = None,
) -> int:
    """Delete this identifier's AUTO logs; returns how many files were removed.

    A file that can't be removed is reported through ``on_error`` (supervisord
    logs ``Failed to clean up``) and skipped; a missing directory removes nothing.
    """
    pattern = auto_log_pattern(identifier)
    try:
        names = os.listdir(childlogdir)
    except OSError:
        return 0
    removed = 0
    for name in names:
        if not pattern.match(name):
            continue
        path = os.path.join(childlogdir, name)
        try:
            os.remove(path)
        except FileNotFoundError:
            continue
        except OSError:
            if on_error is not None:
                on_error(f"Failed to clean up {path!r}")
            continue
        removed += 1
    return removed
