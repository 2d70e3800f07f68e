"""AUTO child log paths and their cleanup, named exactly as supervisord names them.

``<procname>-<channel>---<identifier>-<random>.log`` in childlogdir, created
with mkstemp's flags (``O_EXCL|O_NOFOLLOW``, mode 0600) so the name is new
and nobody else can read the output. Cleanup at start and reload deletes the
files of *this* identifier only (current files and rotated backups), so two
daemons sharing /tmp with different identifiers leave each other's logs alone.

At start-up the files are made by ``AutoLogMaker``'s thread while the first
children spawn: creating a file costs 0.1-0.5 ms of kernel time here (ext4
looks for a free inode, and on a file system without a journal skips every
inode freed in the last 30 s), so 1,000 of them held the first spawn back by
0.1-0.5 s. Nothing can see a file before it exists: a process's spawn waits
for its own files, and the daemon serves no request before all are made.
"""

from __future__ import annotations

import os
import queue
import re
import tempfile
import threading
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
    """Creates the AUTO log files of a start-up in a thread, in the order reserved.

    ``reserve`` hands the path out at once and queues its creation;
    ``settle`` waits until that file has been dealt with and says whether it
    could not be created as a new file (a name already taken, a full disk):
    the caller then makes it the old way, with mkstemp, before anything uses
    it. ``finish`` waits for the rest.
    """

    def __init__(self) -> None:
        self._todo: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._order: dict[str, int] = {}
        self._failed: dict[str, OSError] = {}
        self._handled = 0
        self._progress = threading.Condition()
        self._thread: threading.Thread | None = None

    def reserve(self, childlogdir: str, procname: str, channel: str, identifier: str) -> str:
        path = auto_log_name(childlogdir, procname, channel, identifier)
        while path in self._order:
            path = auto_log_name(childlogdir, procname, channel, identifier)
        self._order[path] = len(self._order)
        self._todo.put(path)
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._create_all, name="minder-autologs", daemon=True
            )
            self._thread.start()
        return path

    def _create_all(self) -> None:
        handled = 0
        while (path := self._todo.get()) is not None:
            try:
                os.close(os.open(path, _CREATE_FLAGS, 0o600))
            except OSError as exc:
                self._failed[path] = exc
            handled += 1
            with self._progress:
                self._handled = handled
                self._progress.notify_all()

    def settle(self, path: str) -> OSError | None:
        """Wait until ``path`` is dealt with; why it is not a new file of ours, or None."""
        index = self._order.get(path)
        if index is None:
            return None
        with self._progress:
            self._progress.wait_for(lambda: self._handled > index)
        return self._failed.get(path)

    def finish(self) -> None:
        """Wait for every reserved file (the thread ends)."""
        if self._thread is not None:
            self._todo.put(None)
            self._thread.join()
            self._thread = None


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
