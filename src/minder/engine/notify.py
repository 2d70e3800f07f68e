"""systemd's sd_notify protocol: a datagram socket per process in $NOTIFY_SOCKET.

Why one socket per process rather than systemd's one socket with
SO_PASSCRED: the sender is known by the socket it wrote to, so a message
from a worker the program forked (NotifyAccess=all in systemd's terms)
counts, and nothing has to map pids back to programs. The sockets live in
a private directory of the daemon (0711, so a ``user=`` program can reach
its own socket, which is chowned to it with mode 0600; no one else can
write to it).

Messages are newline-separated ``KEY=VALUE`` assignments as sent by
``sd_notify(3)``: READY=1, STATUS=…, WATCHDOG=1, MAINPID=…, STOPPING=1,
RELOADING=1; unknown keys are ignored, like systemd does.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
from collections.abc import Callable

from minder.records import mutable_record

MAX_DATAGRAM = 4096
MAX_STATUS = 200  # STATUS= kept for display, one line


@mutable_record
class NotifyMessage:
    """One datagram on a program's notify socket (sd_notify's fields we act on)."""

    ready: bool = False
    watchdog: bool = False
    stopping: bool = False
    status: str | None = None
    mainpid: int | None = None


def parse_message(data: bytes) -> NotifyMessage:
    message = NotifyMessage()
    for line in data.decode("utf-8", "replace").split("\n"):
        key, eq, value = line.partition("=")
        if not eq:
            continue
        if key == "READY" and value == "1":
            message.ready = True
        elif key == "WATCHDOG" and value == "1":
            message.watchdog = True
        elif key == "STOPPING" and value == "1":
            message.stopping = True
        elif key == "STATUS":
            message.status = value.replace("\r", " ")[:MAX_STATUS]
        elif key == "MAINPID" and value.isdigit():
            message.mainpid = int(value)
    return message


class NotifyDirectory:
    """The daemon's private directory of notify sockets (created on first use)."""

    def __init__(self) -> None:
        self._path: str | None = None
        self._count = 0

    def new_path(self) -> str:
        if self._path is None:
            import tempfile  # notify= programs only

            self._path = tempfile.mkdtemp(prefix="minder-notify-")
            os.chmod(self._path, 0o711)
        self._count += 1
        return os.path.join(self._path, f"{self._count}.sock")

    def close(self) -> None:
        if self._path is not None:
            import shutil

            shutil.rmtree(self._path, ignore_errors=True)
            self._path = None


class NotifySocket:
    """One process's $NOTIFY_SOCKET; ``on_message`` gets each datagram, parsed."""

    def __init__(self, loop: asyncio.AbstractEventLoop, path: str, uid: int | None,
                 on_message: Callable[[NotifyMessage], None]) -> None:
        self.path = path
        self._loop = loop
        self._on_message = on_message
        self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        try:
            self._sock.setblocking(False)
            self._sock.bind(path)
            os.chmod(path, 0o600)
            if uid is not None and os.geteuid() == 0:
                os.chown(path, uid, -1)
        except OSError:
            self._sock.close()
            raise
        loop.add_reader(self._sock.fileno(), self._readable)

    def _readable(self) -> None:
        for _ in range(64):  # bounded: a flood cannot starve the loop
            try:
                data = self._sock.recv(MAX_DATAGRAM)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                return
            self._on_message(parse_message(data))

    def close(self) -> None:
        if self._sock.fileno() >= 0:
            self._loop.remove_reader(self._sock.fileno())
            self._sock.close()
        with contextlib.suppress(OSError):
            os.unlink(self.path)
