"""Rename a log file's backups one step down: path.N-1 → path.N, …, path → path.1.

The oldest backup (path.<backups>) is overwritten by the rename, which is
atomic on POSIX, so no separate unlink is needed. Missing links in the
chain are skipped, as supervisord does.
"""

from __future__ import annotations

import contextlib
import os


def shift_backups(path: str, backups: int) -> None:
    """Make room for a fresh ``path``; raises OSError only for real I/O errors."""
    for index in range(backups - 1, 0, -1):
        _rename_if_present(f"{path}.{index}", f"{path}.{index + 1}")
    _rename_if_present(path, f"{path}.1")


def _rename_if_present(source: str, target: str) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.rename(source, target)
