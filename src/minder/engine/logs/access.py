"""The one way front ends read logs: by LogRef, through EngineAPI.

XML-RPC (readLog, read/tailProcess*Log), ``/logtail``, ``/mainlogtail``, the
JSON API and the web UI all come here. The engine knows where each log is
(AUTO names, redirected stderr, the main log), applies the one set of
reading rules (engine/logs/reader.py) and runs every file read in a thread,
so a large range or a slow disk never stalls the event loop. Followers wake
on the bus: a process's output chunks and state changes, or the main log's
lines, with a slow poll as the safety net for writers outside the daemon.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from minder.engine.api import LogRef, LogSlice
from minder.engine.bus import EventBus
from minder.engine.logs.follow import LogFollower, follow
from minder.engine.logs.reader import read_range, read_slice, tail
from minder.model.events import DomainEvent, MainLogLine, ProcessLogChunk, ProcessStateChanged
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec

PathOf = Callable[[LogRef], "str | None"]


class LogAccess:
    def __init__(self, path_of: PathOf, bus: EventBus) -> None:
        self._path_of = path_of  # BAD_NAME for an unknown process
        self._bus = bus

    async def read(self, ref: LogRef, offset: int, length: int) -> bytes:
        path = self._path_of(ref)
        return await asyncio.to_thread(read_range, path, offset, length)

    async def tail(self, ref: LogRef, offset: int, length: int) -> tuple[bytes, int, bool]:
        path = self._path_of(ref)
        return await asyncio.to_thread(tail, path, offset, length)

    async def read_slice(self, ref: LogRef, offset: int | None, length: int) -> LogSlice:
        path = self._path_of(ref)
        if not path:
            if ref.is_main:
                raise SupervisorFault(Faults.NO_FILE, "the main log is not a file")
            raise SupervisorFault(Faults.NO_FILE, f"{_namespec(ref)} has no {ref.channel} log")
        try:
            return await asyncio.to_thread(read_slice, path, offset, length)
        except FileNotFoundError:
            raise SupervisorFault(Faults.NO_FILE, path) from None
        except OSError as exc:
            raise SupervisorFault(Faults.FAILED, str(exc)) from None

    def follow(self, ref: LogRef, from_bytes: int, chunk_size: int) -> LogFollower:
        """Open now (FileNotFoundError when the log has no file), then follow."""
        path = self._path_of(ref)
        if not path:
            raise FileNotFoundError(f"{_namespec(ref)} has no {ref.channel} log")
        loop = asyncio.get_running_loop()

        def concerns(event: DomainEvent) -> bool:
            if ref.is_main:
                return isinstance(event, MainLogLine)
            return isinstance(event, ProcessLogChunk | ProcessStateChanged) and (
                event.group == ref.group and event.name == ref.name
            )

        def subscribe(wake: Callable[[], None]) -> Callable[[], None]:
            def on_event(event: DomainEvent) -> None:
                if concerns(event):
                    loop.call_soon_threadsafe(wake)  # the main log may be written off-loop

            if ref.is_main:
                return self._bus.add_listener(on_event, types=(MainLogLine,))
            return self._bus.add_listener(
                on_event, logs=True, types=(ProcessLogChunk, ProcessStateChanged))

        return follow(path, from_bytes, subscribe=subscribe, chunk_size=chunk_size)


def _namespec(ref: LogRef) -> str:
    if ref.group is None or ref.name is None:
        return "the main log"
    return make_namespec(ref.group, ref.name)
