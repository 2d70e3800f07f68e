"""An append-only log file with size rotation that never raises on write.

Why it is built this way:

* Child output is the hot path. A write with no rotation due is one
  ``os.write`` on an ``O_APPEND`` descriptor plus an integer add: no Python
  file object, no buffering layer, no flush, no per-line work. The size is
  counted here rather than asked of the kernel.
* A log that cannot be written (full disk, a directory removed under us,
  EACCES after a permission change) must not take the supervisor down nor
  silently lose output. The failed bytes go to a bounded in-memory buffer;
  the owner is told once per failure episode; each later write first retries
  the buffer (re-creating the file if its directory came back). Bytes beyond
  the bound are counted, and a marker line saying how many were lost is
  written where the gap is, so a reader of the log can see it.
* Rotation follows supervisord: checked after each write, so a file may
  exceed maxbytes by one chunk; backups=0 truncates. Non-regular files
  (``/dev/stdout``, a FIFO) are never rotated.
* ``splice_from`` moves a pipe's bytes into the file in the kernel
  (``os.splice``) when nobody needs them in Python: no copy to user space,
  no bytes object. splice refuses ``O_APPEND`` targets (EINVAL), so while
  splicing the descriptor drops ``O_APPEND`` and each splice starts at the
  end of the file as the kernel sees it (lseek SEEK_END: other writers of
  the same path still append); the first ``write`` puts ``O_APPEND`` back.
  The size is the file's real end, and rotation is checked after each
  splice as after each write. Only regular files are spliced into. Any
  error (EINVAL from an old kernel or a file system that cannot take
  splices, ENOSPC, …) turns splicing off for this log and hands the chunk
  to the read path, which buffers and reports as usual.
* ``lazy=True`` (child logs): the descriptor is opened by the first write
  and given back by ``release()`` once the child is gone, so a configured
  program that is not running holds no log descriptor, as in supervisord
  (5,000 programs would otherwise need 10,000 descriptors before any runs).
* Drop-behind keeps a big log from filling the page cache and lets it
  refill the pages it just gave back (``dropbehind.py`` says why and how).
* Every open goes through ``safeopen.open_log``: in a directory that other
  users can write, a symlink, hard link, FIFO or someone else's file put
  where the log was is refused, never written through (``owner`` is the
  program's uid, whose own files are accepted). ``exclusive=True`` (AUTO
  logs, whose names are ours alone) re-creates the file after rotation
  with ``O_EXCL``. ``unborn=True``: an AUTO name chosen at start-up whose
  file is made after the burst of spawns (autonames.AutoLogBatch); until
  ``create_unborn`` a spawn's ``touch`` leaves it, and an open makes it first.
  Clearing truncates a regular file in place and leaves
  anything else (``/dev/null``, a FIFO) as it is.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Callable

from minder.engine.logs.autonames import create_auto_log
from minder.engine.logs.dropbehind import NEVER, DropBehind, drop_all
from minder.engine.logs.rotation import shift_backups
from minder.engine.logs.safeopen import open_log, truncate_regular, usable_as_is

DEFAULT_RETRY_LIMIT = 8 * 1024 * 1024

SPLICE_SIZE = 1024 * 1024  # more than any pipe holds: one splice empties it
_SPLICE = getattr(os, "splice", None)
_SPLICE_FLAGS = getattr(os, "SPLICE_F_NONBLOCK", 0) | getattr(os, "SPLICE_F_MOVE", 0)

def describe_os_error(exc: OSError) -> str:
    """``No space left on device (ENOSPC)`` — readable and greppable."""
    name = errno.errorcode.get(exc.errno or 0, "")
    text = exc.strerror or str(exc)
    return f"{text} ({name})" if name else text


class RotatingFile:
    """Raw bytes to ``path`` with rotation; see the module docstring."""

    def __init__(
        self,
        path: str | None,
        maxbytes: int,
        backups: int,
        on_error: Callable[[str], None],
        *,
        on_recover: Callable[[str], None] | None = None,
        retry_limit: int = DEFAULT_RETRY_LIMIT,
        lazy: bool = False,
        owner: int | None = None,
        exclusive: bool = False,
        unborn: bool = False,
    ) -> None:
        self._path = path
        self._unborn = unborn and path is not None
        self._owner = owner
        self._exclusive = exclusive
        self._maxbytes = max(0, maxbytes)
        self._backups = max(0, backups)
        self._on_error = on_error
        self._on_recover = on_recover
        self._retry_limit = retry_limit
        self._fd = -1
        self._size = 0
        self._rotatable = False
        self._spliced = False  # _fd is without O_APPEND (see splice_from); _ok is False then
        self._can_splice = _SPLICE is not None
        self._drop = DropBehind()  # drop_at: the _size that triggers its next step
        # _ok is the one flag the fast path tests: an open fd and nothing pending.
        self._ok = False
        self._failing = False
        self._pending = bytearray()
        self._dropped = 0
        self._closed = path is None
        # Zero-argument callbacks run after bytes reach the file (log followers).
        self._watchers: tuple[Callable[[], None], ...] = ()
        if path is not None and not lazy:
            try:
                self._open(truncate=False)
            except OSError as exc:
                self._report(exc, "open")

    # -- public -----------------------------------------------------------------

    @property
    def path(self) -> str | None:
        return self._path

    @property
    def size(self) -> int:
        """Bytes in the current file as far as this writer knows."""
        return self._size

    @property
    def failing(self) -> bool:
        """True while writes are being buffered because the file can't be written."""
        return self._failing

    @property
    def pending_bytes(self) -> int:
        return len(self._pending)

    @property
    def dropped_bytes(self) -> int:
        """Bytes lost in the current failure episode (beyond the retry buffer)."""
        return self._dropped

    def write(self, data: bytes) -> None:
        """Append ``data``; never raises (see the module docstring)."""
        if self._ok:
            try:
                written = os.write(self._fd, data)
            except OSError as exc:
                self._buffer(data)
                self._report(exc, "write")
                return
            self._size += written
            if written != len(data):  # the disk filled up part-way through
                self._buffer(data[written:])
                self._flush_pending()
            elif self._maxbytes and self._size >= self._maxbytes:
                self._rotate()
            elif self._size >= self._drop.drop_at:
                self._drop.step(self._fd, self._size)
            if self._watchers:
                self._notify()
            return
        if self._closed:
            return
        if self._spliced:
            self._end_splicing()
            if self._ok:
                self.write(data)
                return
        if self._fd < 0 and not self._pending and not self._failing:
            try:  # lazy or released: open now, then take the fast path
                self._open(truncate=False)
            except OSError as exc:
                self._report(exc, "open")
            if self._ok:
                self.write(data)
                return
        self._buffer(data)
        self._flush_pending()
        if self._watchers and not self._pending:
            self._notify()

    def splice_from(self, src: int) -> int | None:
        """Move what the pipe ``src`` holds into the file; see the module docstring.

        Returns the bytes moved (0 at EOF), or None when the caller must read
        the pipe itself; raises BlockingIOError when the pipe is empty.
        """
        if not self._spliced:
            if not self._can_splice or self._closed or self._pending or self._failing:
                return None
            if not self._ok:
                if self._fd >= 0:
                    return None
                # The log is closed until the first byte. Most often this is
                # the EOF of a child that never wrote: one byte's read tells
                # EOF (b""), empty (BlockingIOError) and data apart without
                # opening the file, and costs one syscall where asking the
                # pipe first (FIONREAD) cost two; with 500 quiet programs
                # stopped at once that is a thousand syscalls.
                first = os.read(src, 1)
                if not first:
                    return 0
                self.write(first)  # opens the log
                try:
                    rest = self.splice_from(src)
                except BlockingIOError:
                    return 1
                return 1 + (rest or 0)  # None: the next call says read
            if not self._rotatable:
                return None  # a FIFO or a device: plain writes, as always
            try:
                flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
                fcntl.fcntl(self._fd, fcntl.F_SETFL, flags & ~os.O_APPEND)
            except OSError:
                return None
            self._spliced = True
            self._ok = False
        assert _SPLICE is not None
        fd = self._fd
        try:
            end = os.lseek(fd, 0, os.SEEK_END)
            moved: int = _SPLICE(src, fd, SPLICE_SIZE, flags=_SPLICE_FLAGS)
        except BlockingIOError:
            raise
        except OSError:
            self._can_splice = False  # the read path writes this chunk and reports any failure
            self._end_splicing()
            return None
        if moved:
            self._size = end + moved
            if self._maxbytes and self._size >= self._maxbytes:
                self._rotate()
            elif self._size >= self._drop.drop_at:
                self._drop.step(self._fd, self._size)
            if self._watchers:
                self._notify()
        return moved

    def _end_splicing(self) -> None:
        """Put O_APPEND back on the descriptor (or drop it, so the next open has it)."""
        self._spliced = False
        try:
            flags = fcntl.fcntl(self._fd, fcntl.F_GETFL)
            fcntl.fcntl(self._fd, fcntl.F_SETFL, flags | os.O_APPEND)
        except OSError:
            self._close_fd()
            return
        self._ok = not self._pending

    @property
    def is_open(self) -> bool:
        return self._fd >= 0

    def touch(self) -> None:
        """Make sure the path exists (a child is being spawned) without keeping a descriptor."""
        if self._path is None or self._closed or self._fd >= 0 or self._unborn:
            return
        if usable_as_is(self._path, owner=self._owner):
            return  # there already, and the first write's open_log will take it
        try:
            os.close(open_log(self._path, owner=self._owner))
        except OSError as exc:
            self._report(exc, "open")

    def create_unborn(self) -> str | None:
        """Make an ``unborn`` AUTO log's file now; returns the path (new if the name was taken).

        A failure is reported as a failed open is, and the next open tries again.
        """
        if self._unborn:
            try:
                self._be_born()
            except OSError as exc:
                self._report(exc, "create")
        return self._path

    def _be_born(self) -> None:
        assert self._path is not None
        self._path = create_auto_log(self._path)
        self._unborn = False

    def release(self) -> None:
        """Give the descriptor back until the next write (the writer is gone for now).

        Unlike ``close()`` the log stays usable: a later write opens the path again.
        Bytes still buffered after a failed flush keep their retry on that write.
        """
        if self._fd < 0:
            return
        if self._pending:
            self._flush_pending()
        self._close_fd()

    def add_watcher(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` after each write that reached the file; returns its remover.

        This is the ``subscribe`` hook of ``follow()``: /logtail wakes on
        writes instead of polling the file.
        """
        self._watchers = (*self._watchers, callback)

        def remove() -> None:
            self._watchers = tuple(w for w in self._watchers if w is not callback)

        return remove

    def _notify(self) -> None:
        for watcher in self._watchers:
            try:
                watcher()
            except Exception:  # a broken follower must not break log capture
                self._drop_watcher(watcher)

    def _drop_watcher(self, callback: Callable[[], None]) -> None:
        self._watchers = tuple(w for w in self._watchers if w is not callback)

    def retry(self) -> bool:
        """Try to write what is buffered now; True when nothing is left pending."""
        if self._closed:
            return not self._pending
        self._flush_pending()
        return not self._pending

    def reopen(self) -> None:
        """Close and open the path again (SIGUSR2, or after an external rename).

        A released log (no descriptor, nothing pending) has nothing to reopen:
        its next write opens the path as it is then.
        """
        if self._path is None:
            return
        if self._fd < 0 and not self._pending and not self._closed and not self._failing:
            return
        self._closed = False
        self._close_fd()
        try:
            self._open(truncate=False)
        except OSError as exc:
            self._report(exc, "reopen")
            return
        if self._pending:
            self._flush_pending()

    def clear(self) -> None:
        """Empty the log (clearLog/clearProcessLogs); see the module docstring.

        The file is truncated in place, never unlinked: the name cannot be
        taken over in between, and ``/dev/null`` or a FIFO stays what it
        is. Raises OSError when the log cannot be opened or truncated (the
        caller answers FAILED); buffered bytes are discarded with the file.
        """
        if self._path is None:
            return
        self._pending.clear()
        self._dropped = 0
        with contextlib.suppress(FileNotFoundError):
            if not stat.S_ISREG(os.stat(self._path).st_mode):
                return  # /dev/null, a FIFO: nothing to empty, and nothing to re-create
        was_open = self._fd >= 0
        self._closed = False
        self._close_fd()
        self._open(truncate=True)  # the path exists again, empty
        if not was_open:
            self._close_fd()

    def close(self) -> None:
        """Last attempt to write what is buffered, then release the descriptor."""
        if self._closed and self._fd < 0:
            return
        if self._pending:
            self._flush_pending()
        self._close_fd()
        self._closed = True

    # -- internals ----------------------------------------------------------------

    def _open(self, *, truncate: bool, fresh: bool = False) -> None:
        """Open the path safely; ``fresh``: it was just moved away (rotation)."""
        assert self._path is not None
        if self._unborn:
            self._be_born()
        fd = open_log(self._path, owner=self._owner, exclusive=fresh and self._exclusive)
        try:
            if truncate:
                truncate_regular(fd)
            info = os.fstat(fd)
        except OSError:
            os.close(fd)
            raise
        self._fd = fd
        self._size = info.st_size
        self._rotatable = stat.S_ISREG(info.st_mode)
        self._drop.opened(self._size, self._rotatable)
        if not self._pending:
            self._ok = True
            self._mark_recovered()

    def _close_fd(self) -> None:
        self._ok = False
        self._spliced = False
        self._drop.close_retired()
        if self._fd >= 0:
            fd, self._fd = self._fd, -1
            with contextlib.suppress(OSError):
                os.close(fd)

    def _rotate(self) -> None:
        if not self._rotatable or self._path is None:
            return
        retired = -1
        if self._backups > 0 and self._drop.drop_at != NEVER:
            # The file becomes a backup nobody tails: its pages are the next
            # file's. This call drops what is clean and starts the write-back
            # of the rest, which the new file's first steps drop (DropBehind).
            drop_all(self._fd)
            retired, self._fd = self._fd, -1
        self._close_fd()
        try:
            if self._backups > 0:
                shift_backups(self._path, self._backups)
                self._open(truncate=False, fresh=True)
            else:
                self._open(truncate=True)
        except OSError as exc:
            self._report(exc, "rotate")
        if retired >= 0:
            self._drop.retire(retired, self._size, reopened=self._fd >= 0)

    def _buffer(self, data: bytes) -> None:
        """Keep ``data`` for a retry; beyond the limit keep the oldest, count the rest."""
        self._ok = False
        room = self._retry_limit - len(self._pending)
        if room >= len(data):
            self._pending += data
            return
        if room > 0:
            self._pending += data[:room]
        self._dropped += len(data) - max(room, 0)

    def _flush_pending(self) -> None:
        if self._path is None:
            return
        if self._fd < 0:
            try:
                self._open(truncate=False)
            except OSError as exc:
                self._report(exc, "open")
                return
        view = memoryview(self._pending)
        done = 0
        try:
            while done < len(view):
                done += os.write(self._fd, view[done:])
            if self._dropped:
                marker = (
                    f"\n[minder: {self._dropped} bytes of output were lost here "
                    f"while this log could not be written]\n"
                ).encode()
                os.write(self._fd, marker)
                self._size += len(marker)
                self._dropped = 0
        except OSError as exc:
            self._size += done
            view.release()
            del self._pending[:done]
            self._report(exc, "write")
            return
        self._size += done
        view.release()
        self._pending.clear()
        self._ok = True
        self._mark_recovered()
        if self._maxbytes and self._size >= self._maxbytes:
            self._rotate()

    def _mark_recovered(self) -> None:
        if self._failing:
            self._failing = False
            if self._on_recover is not None:
                self._on_recover(f"log file {self._path} is writable again")

    def _report(self, exc: OSError, action: str) -> None:
        """Tell the owner once per failure episode; later failures stay quiet."""
        self._ok = False
        if self._failing:
            return
        self._failing = True
        self._on_error(
            f"cannot {action} log file {self._path}: {describe_os_error(exc)}; "
            f"keeping up to {self._retry_limit // (1024 * 1024)} MiB of output in memory "
            "and retrying on the next write"
        )
