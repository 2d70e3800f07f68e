"""Rename a log file's backups one step down: path.N-1 → path.N, …, path → path.1.

The oldest backup (path.<backups>) is overwritten by the rename, which is
atomic on POSIX, so no separate unlink is needed. Missing links in the
chain are skipped, as supervisord does. The renames are made relative to
one descriptor of the log's directory, so every step acts in the same
directory even if its path is re-pointed meanwhile; a rename moves a
symlink itself, never its target.
"""

from __future__ import annotations

import contextlib
import os


def shift_backups(path: str, backups: int) -> None:
    """Make room for a fresh ``path``; raises OSError only for real I/O errors."""
    directory, name = os.path.split(path)
    dir_fd = os.open(directory or ".", os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index in range(backups - 1, 0, -1):
            _rename_if_present(dir_fd, f"{name}.{index}", f"{name}.{index + 1}")
        _rename_if_present(dir_fd, name, f"{name}.1")
    finally:
        os.close(dir_fd)


def _rename_if_present(dir_fd: int, source: str, target: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.rename(source, target, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
