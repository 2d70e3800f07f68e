"""AUTO child log paths and their cleanup, named exactly as supervisord names them.

``<procname>-<channel>---<identifier>-<random>.log`` in childlogdir, created
with mkstemp's flags (``O_EXCL|O_NOFOLLOW``, mode 0600) so the name is new
and nobody else can read the output. Cleanup at start and reload deletes the
files of *this* identifier only (current files and rotated backups), so two
daemons sharing /tmp with different identifiers leave each other's logs alone.

At start-up each process's files are made just before its first spawn
(``AutoLogMaker``), the rest when the autostarts are done: creating a file
costs 0.1-0.5 ms of kernel time here (ext4 looks for a free inode, and on a
file system without a journal skips every inode freed in the last 30 s), so
1,000 of them made first held the first spawn back by 0.1-0.5 s. Nothing can
see a file before it exists: the daemon serves no request before all are
made. (A thread that made them beside the spawns was tried: it needs the GIL
after every file and got it only every switch interval while the event loop
spawned, so the spawns ended up waiting for it.)
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable

_NAME_CHARS = "abcdefghijklmnopqrstuvwxyz0123456789_"  # tempfile's alphabet, 8 of them
_CREATE_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def auto_log_path(childlogdir: str, procname: str, channel: str, identifier: str) -> str:
    """Create an empty AUTO log file and return its absolute path."""
    fd, path = tempfile.mkstemp(
        suffix=".log", prefix=f"{procname}-{channel}---{identifier}-", dir=childlogdir
    )
    os.close(fd)
    return os.path.abspath(path)


def auto_log_name(childlogdir: str, procname: str, channel: str, identifier: str) -> str:
    """A fresh AUTO log path of mkstemp's form (absolute), not created yet."""
    number = int.from_bytes(os.urandom(6), "little")  # 2**48 > 37**8
    chars = []
    for _ in range(8):
        number, digit = divmod(number, len(_NAME_CHARS))
        chars.append(_NAME_CHARS[digit])
    name = f"{procname}-{channel}---{identifier}-{''.join(chars)}.log"
    return os.path.abspath(os.path.join(childlogdir, name))


class AutoLogMaker:
    """The AUTO log files of a start-up, each made when it is first needed.

    ``reserve`` hands a path out at once; ``settle`` makes that file (mkstemp's
    flags and mode) and says why it could not be made as a new file (a name
    already taken, a full disk), so the caller makes it the old way, with
    mkstemp, before anything uses it; ``finish`` makes the rest.
    """

    def __init__(self) -> None:
        self._pending: dict[str, None] = {}  # reserved, not made yet (in order)
        self._failed: dict[str, OSError] = {}

    def reserve(self, childlogdir: str, procname: str, channel: str, identifier: str) -> str:
        path = auto_log_name(childlogdir, procname, channel, identifier)
        while path in self._pending:
            path = auto_log_name(childlogdir, procname, channel, identifier)
        self._pending[path] = None
        return path

    def settle(self, path: str) -> OSError | None:
        """Make ``path`` if it is still to be made; why it is not a new file of ours, or None."""
        if path in self._pending:
            del self._pending[path]
            try:
                os.close(os.open(path, _CREATE_FLAGS, 0o600))
            except OSError as exc:
                self._failed[path] = exc
        return self._failed.get(path)

    def finish(self) -> None:
        """Make every file still to be made."""
        for path in list(self._pending):
            self.settle(path)


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
