"""Children's output on the daemon's stdout, each line as ``name | line``.

Why: in a container, ``docker logs`` and ``kubectl logs`` read PID 1's
stdout; with several programs in one container they must be told apart
(``[supervisord] childlogs_to_stdout=true``). Each channel keeps its own
partial line, so two programs writing at once never interleave inside a
line; a line longer than ``MAX_LINE`` is cut rather than buffered forever.
"""

from __future__ import annotations

import os
from collections.abc import Callable

MAX_LINE = 16 * 1024


class PrefixedStdout:
    def __init__(self, fd: int = 1) -> None:
        self._fd = fd
        self._partial: dict[tuple[str, str], bytes] = {}
        self.broken = False

    def channel(self, name: str, channel: str) -> Callable[[bytes], None]:
        """The tee for one output channel of one process."""
        prefix = f"{name} | ".encode()
        key = (name, channel)

        def write(data: bytes) -> None:
            buffered = self._partial.pop(key, b"") + data
            *lines, rest = buffered.split(b"\n")
            while len(rest) > MAX_LINE:
                lines.append(rest[:MAX_LINE])
                rest = rest[MAX_LINE:]
            if rest:
                self._partial[key] = rest
            if lines:
                self._write(b"".join(prefix + line + b"\n" for line in lines))

        return write

    def _write(self, data: bytes) -> None:
        if self.broken:
            return
        view = memoryview(data)
        while view:
            try:
                written = os.write(self._fd, view)
            except InterruptedError:
                continue
            except OSError:
                self.broken = True  # stdout closed: keep the programs and their logs going
                return
            view = view[written:]

    def flush(self) -> None:
        """Shutdown: end every partial line."""
        for (name, _), rest in list(self._partial.items()):
            self._write(f"{name} | ".encode() + rest + b"\n")
        self._partial.clear()
