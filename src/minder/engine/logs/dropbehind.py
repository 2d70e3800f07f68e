"""Drop-behind for one log file: what is written leaves the page cache.

Why: copying into the page cache is the one unavoidable cost of a log, and
a page that was never used, or that a VM with free page reporting gave back
to its host, costs 5-10x more to fill than one just freed: profiled on the
bench VM, a bare splice loop into a growing file takes 1.2-2.2 s of CPU per
GiB on such pages and 0.22 on recycled ones. So the pages of a log more than
``DROP_LAG`` (8 MiB) before its end leave the page cache
(``posix_fadvise(DONTNEED)`` every ``DROP_STEP`` bytes; a call starts the
write-back of the dirty pages that a later call then drops), and a big log
keeps filling the few MiB of pages it just gave back, whether or not it
rotates; a chatty child no longer fills the cache with dirty log pages
nobody reads. The newest bytes stay cached for tails and followers; logs
under ``DROP_LAG + DROP_STEP`` are never touched.

A file that rotation makes a backup still has its newest MiBs dirty: its
descriptor is kept (``retire``) for the new file's first ``DROP_LAG +
DROP_STEP`` bytes, whose steps drop what has been written back since.
Closing it at once left them cached: ~10 MiB of fresh memory to fill per
rotation, which doubled the CPU per GiB of a 500 MB stream rotating at 50 MB.
Where freed memory is never given back (bare metal) all this costs about
0.05-0.1 s per GiB: write-back is started by the daemon, within seconds,
instead of by the kernel's flusher up to 30 s later.

Any error turns drop-behind off for the file: it is an optimisation only.
"""

from __future__ import annotations

import contextlib
import os
import sys

DROP_LAG = 8 * 1024 * 1024  # the newest bytes of a log stay in the page cache
DROP_STEP = 4 * 1024 * 1024  # how much a log grows between two drop-behind calls
NEVER = sys.maxsize  # a drop_at that is never reached: drop-behind is off
_FADVISE = getattr(os, "posix_fadvise", None)


def drop_all(fd: int) -> None:
    """Ask the kernel to drop a whole file's clean pages and write back the rest."""
    if _FADVISE is not None:
        with contextlib.suppress(OSError):
            _FADVISE(fd, 0, 0, os.POSIX_FADV_DONTNEED)


class DropBehind:
    """The drop-behind state of one ``RotatingFile``.

    The writer compares its size with ``drop_at`` after each write (one
    integer comparison on the hot path) and calls ``step`` when it is reached.
    """

    __slots__ = ("_retired", "_retired_until", "drop_at")

    def __init__(self) -> None:
        self.drop_at = NEVER
        self._retired = -1  # the file that just became a backup, kept until its pages go
        self._retired_until = 0  # the new file's size at which _retired is closed

    def opened(self, size: int, rotatable: bool) -> None:
        """A file was opened at ``size``: only regular files are dropped behind."""
        self.drop_at = (
            max(size, DROP_LAG) + DROP_STEP if rotatable and _FADVISE is not None else NEVER
        )

    def step(self, fd: int, size: int) -> None:
        """Let the page cache give back what lies more than DROP_LAG before the end.

        A dirty page cannot be dropped: the call starts write-back of the
        range and drops what is clean, so the bytes of one step are dropped
        by a later call. Each call covers the file from its start: what an
        earlier call left (still being written, or read back by a tail)
        goes then, and the kernel walks past what is already gone at almost
        no cost.
        """
        assert _FADVISE is not None
        self.drop_at = size + DROP_STEP
        if self._retired >= 0:
            if size >= self._retired_until:
                self.close_retired()
            else:
                drop_all(self._retired)
        behind = size - DROP_LAG
        if behind <= 0:  # (a length of 0 would mean "to the end")
            return
        try:
            _FADVISE(fd, 0, behind, os.POSIX_FADV_DONTNEED)
        except OSError:
            self.drop_at = NEVER

    def retire(self, fd: int, size: int, *, reopened: bool) -> None:
        """Keep the descriptor of the file rotation just made a backup (see the module).

        ``size`` is the new file's; without a new file, or with drop-behind
        off for it, the old descriptor goes at once.
        """
        self._retired = fd
        self._retired_until = size + DROP_LAG + DROP_STEP
        if not reopened or self.drop_at == NEVER:
            self.close_retired()
        else:
            self.drop_at = min(self.drop_at, size + DROP_STEP)

    def close_retired(self) -> None:
        """Last drop of the retired file's pages, and its descriptor back."""
        if self._retired >= 0:
            fd, self._retired = self._retired, -1
            drop_all(fd)
            with contextlib.suppress(OSError):
                os.close(fd)
