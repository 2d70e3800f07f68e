"""A child's stdout or stderr log: raw bytes, no timestamps, optional syslog copy.

The file side is RotatingFile (one os.write per chunk on the fast path).
Syslog, when asked for, is the only per-line work, and it is paid only by
programs that set ``stdout_syslog``/``stderr_syslog``: each line goes out as
``<ident> <line>`` with the default ident and facility, like supervisord.
"""

from __future__ import annotations

import syslog
from collections.abc import Callable

from minder.engine.logs.rotatingfile import DEFAULT_RETRY_LIMIT, RotatingFile


class ChildLog(RotatingFile):
    """One output channel of one process; ``path=None`` means syslog only (or nothing)."""

    def __init__(
        self,
        path: str | None,
        maxbytes: int,
        backups: int,
        syslog_ident: str | None,
        on_error: Callable[[str], None],
        *,
        on_recover: Callable[[str], None] | None = None,
        retry_limit: int = DEFAULT_RETRY_LIMIT,
        lazy: bool = False,
        owner: int | None = None,
        exclusive: bool = False,
        unborn: bool = False,
    ) -> None:
        super().__init__(
            path,
            maxbytes,
            backups,
            on_error,
            on_recover=on_recover,
            retry_limit=retry_limit,
            lazy=lazy,
            owner=owner,
            exclusive=exclusive,
            unborn=unborn,
        )
        self._syslog_ident = syslog_ident

    @property
    def syslog_ident(self) -> str | None:
        return self._syslog_ident

    def splice_from(self, src: int) -> int | None:
        if self._syslog_ident is not None:
            return None  # syslog needs the lines
        return super().splice_from(src)

    def write(self, data: bytes) -> None:
        if self._syslog_ident is not None:
            send_lines_to_syslog(self._syslog_ident, data)
        super().write(data)


def send_lines_to_syslog(ident: str, data: bytes) -> None:
    """One syslog call per line; a chunk's trailing partial line is sent as it is."""
    text = data.decode("utf-8", "replace")
    for line in text.splitlines():
        if line:
            syslog.syslog(syslog.LOG_INFO, f"{ident} {line}")
