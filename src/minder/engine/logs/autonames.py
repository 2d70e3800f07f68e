"""AUTO child log paths and their cleanup, named exactly as supervisord names them.

``<procname>-<channel>---<identifier>-<random>.log`` in childlogdir, created
as mkstemp creates one (mode 0600, engine/logs/uniquefile.py) so the name
is unique and nobody else can read the output. Cleanup at start and reload
deletes the files of *this* identifier only (current files and rotated
backups), so two daemons sharing /tmp with different identifiers leave each
other's logs alone.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable

from minder.engine.logs.uniquefile import create_unique


def auto_log_path(childlogdir: str, procname: str, channel: str, identifier: str) -> str:
    """Create an empty AUTO log file and return its absolute path."""
    fd, path = create_unique(childlogdir, f"{procname}-{channel}---{identifier}-", ".log")
    os.close(fd)
    return path


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
