"""The daemon's activity log, in supervisord's exact line format.

``YYYY-MM-DD HH:MM:SS,mmm LEVL message`` (local time). Tools that parse
supervisord.log keep working. Each record goes to at most one of a file
(RotatingFile: rotation, retry buffer) or syslog, optionally to stdout, and
to in-process listeners, which is how /mainlogtail and the web UI follow the
log without polling the file.

``logformat=json`` writes one JSON object per line instead (``time``,
``level``, ``message``) for log shippers. When the daemon's stdout is the
systemd journal (``$JOURNAL_STREAM`` names the stream stdout is), the copy
on stdout drops the timestamp, which the journal adds itself, and starts
each line with its syslog priority (``<3>`` for errors, sd-daemon(3)), so
``journalctl -p err`` works; the log file keeps its full lines.

Messages produced before the log exists (config warnings, say) are collected
in a PendingLog and replayed with their original timestamps by
``MainLog.replay``, as supervisord flushes its early messages.
"""

from __future__ import annotations

import contextlib
import os
import sys
import syslog
import time
from collections.abc import Callable

from minder.engine.logs.levels import Level, level_code, parse_level
from minder.engine.logs.rotatingfile import RotatingFile
from minder.protocol.faults import Faults, SupervisorFault

Listener = Callable[[bytes], None]

_SYSLOG_PRIORITIES = (
    (Level.CRIT, syslog.LOG_CRIT),
    (Level.ERRO, syslog.LOG_ERR),
    (Level.WARN, syslog.LOG_WARNING),
    (Level.INFO, syslog.LOG_INFO),
)


def syslog_priority(level: int) -> int:
    """Map our level onto syslog's, so syslog filters by severity work."""
    for threshold, priority in _SYSLOG_PRIORITIES:
        if level >= threshold:
            return priority
    return syslog.LOG_DEBUG


def format_record(level: int, message: str, created: float) -> bytes:
    """One log line: ``2026-11-29 10:41:42,123 INFO message\\n`` in local time."""
    seconds = int(created)
    millis = int((created - seconds) * 1000)
    stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(seconds))
    line = f"{stamp},{millis:03d} {level_code(level)} {message}\n"
    return line.encode("utf-8", "backslashreplace")


def format_json_record(level: int, message: str, created: float) -> bytes:
    """One JSON log line: ``{"time": "...+01:00", "level": "INFO", "message": "..."}``."""
    import datetime
    import json

    stamp = datetime.datetime.fromtimestamp(created).astimezone().isoformat(timespec="milliseconds")
    line = json.dumps({"time": stamp, "level": level_code(level), "message": message},
                      ensure_ascii=False)
    return (line + "\n").encode("utf-8", "backslashreplace")


FORMATTERS: dict[str, Callable[[int, str, float], bytes]] = {
    "text": format_record,
    "json": format_json_record,
}


def stdout_is_journal(environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """True when fd 1 is the journal stream systemd named in ``$JOURNAL_STREAM`` (dev:ino)."""
    device, sep, inode = environ.get("JOURNAL_STREAM", "").partition(":")
    if not sep:
        return False
    try:
        status = os.fstat(1)
        return (status.st_dev, status.st_ino) == (int(device), int(inode))
    except (OSError, ValueError):
        return False


def journal_line(level: int, record: bytes) -> bytes:
    """A record for the journal: no timestamp, ``<priority>`` before every line of it.

    The journal reads one entry per line, so a multi-line message needs the
    prefix on each line to keep its priority.
    """
    if len(record) > 24 and record[4:5] == b"-" and record[19:20] == b",":  # the text stamp
        record = record[24:]
    prefix = b"<%d>" % syslog_priority(level)
    lines = record.rstrip(b"\n").split(b"\n")
    return b"".join(prefix + line + b"\n" for line in lines)


def _report_to_stderr(message: str) -> None:
    with contextlib.suppress(OSError):
        os.write(2, f"minderd: {message}\n".encode("utf-8", "backslashreplace"))


class _LevelMethods:
    """critical()…blather() on top of ``log``; shared by MainLog and PendingLog."""

    def log(self, level: int, msg: str) -> None:
        raise NotImplementedError

    def critical(self, msg: str) -> None:
        self.log(Level.CRIT, msg)

    def error(self, msg: str) -> None:
        self.log(Level.ERRO, msg)

    def warn(self, msg: str) -> None:
        self.log(Level.WARN, msg)

    def info(self, msg: str) -> None:
        self.log(Level.INFO, msg)

    def debug(self, msg: str) -> None:
        self.log(Level.DEBG, msg)

    def trace(self, msg: str) -> None:
        self.log(Level.TRAC, msg)

    def blather(self, msg: str) -> None:
        self.log(Level.BLAT, msg)


class PendingLog(_LevelMethods):
    """Collects records before the MainLog exists; see ``MainLog.replay``."""

    def __init__(self) -> None:
        self.records: list[tuple[int, str, float]] = []

    def log(self, level: int, msg: str) -> None:
        self.records.append((int(level), msg, time.time()))


class MainLog(_LevelMethods):
    """The activity log. ``path`` is a file, the literal ``syslog``, or None (no file)."""

    def __init__(
        self,
        path: str | None,
        maxbytes: int,
        backups: int,
        level: str | int,
        echo_stdout: bool,
        *,
        on_error: Callable[[str], None] = _report_to_stderr,
        logformat: str = "text",
        journal: bool = False,
    ) -> None:
        self._level = int(parse_level(level) if isinstance(level, str) else level)
        self._path = path
        self._to_syslog = path == "syslog"
        self._file: RotatingFile | None = None
        if path is not None and not self._to_syslog:
            self._file = RotatingFile(path, maxbytes, backups, on_error, on_recover=on_error)
        self._echo_stdout = echo_stdout
        self._format = FORMATTERS[logformat]
        self._journal = journal  # stdout is the systemd journal
        self._listeners: list[Listener] = []

    @property
    def path(self) -> str | None:
        """The file path, ``"syslog"``, or None."""
        return self._path

    @property
    def file_path(self) -> str | None:
        """The path readLog reads, or None when there is no file (syslog, none)."""
        return self._file.path if self._file is not None else None

    @property
    def level(self) -> int:
        return self._level

    def is_enabled_for(self, level: int) -> bool:
        """Lets callers skip building expensive messages (child output at DEBG)."""
        return level >= self._level

    def add_listener(self, callback: Listener) -> None:
        self._listeners.append(callback)

    def remove_listener(self, callback: Listener) -> None:
        with contextlib.suppress(ValueError):
            self._listeners.remove(callback)

    def add_watcher(self, wake: Callable[[], None]) -> Callable[[], None]:
        """The ``subscribe`` hook of ``follow()``: wake on every record; returns a remover."""

        def on_record(_record: bytes) -> None:
            wake()

        self.add_listener(on_record)
        return lambda: self.remove_listener(on_record)

    def log(self, level: int, msg: str) -> None:
        if level >= self._level:
            self._emit(level, msg, time.time())

    def replay(self, pending: PendingLog) -> None:
        """Write records collected before this log existed, with their own times."""
        for level, msg, created in pending.records:
            if level >= self._level:
                self._emit(level, msg, created)
        pending.records.clear()

    def reopen(self) -> None:
        if self._file is not None:
            self._file.reopen()

    def clear(self) -> None:
        """clearLog: truncate in place. NO_FILE without a file, FAILED on I/O error."""
        if self._file is None:
            raise SupervisorFault(Faults.NO_FILE, self._path)
        try:
            self._file.clear()
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, f"{self._path}: {exc.strerror}") from exc

    def close(self) -> None:
        if self._file is not None:
            self._file.close()

    def _emit(self, level: int, msg: str, created: float) -> None:
        record = self._format(level, msg, created)
        if self._file is not None:
            self._file.write(record)
        elif self._to_syslog:
            priority = syslog_priority(level)
            for line in record.decode("utf-8", "replace").splitlines():
                syslog.syslog(priority, line)
        if self._echo_stdout:
            self._write_stdout(journal_line(level, record) if self._journal else record)
        for listener in tuple(self._listeners):
            try:
                listener(record)
            except Exception as exc:  # a broken tail must not break logging
                _report_to_stderr(f"main log listener failed: {exc!r}")

    @staticmethod
    def _write_stdout(record: bytes) -> None:
        try:
            stream = sys.stdout.buffer
            stream.write(record)
            stream.flush()
        except (OSError, ValueError, AttributeError):
            pass
