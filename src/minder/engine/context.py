"""What every supervised process needs from the engine around it.

Its own module so that ``process.py`` holds the process and nothing else;
``ProcessRunner`` receives one of these from its group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import field

from minder.engine.bus import EventBus
from minder.engine.clock import Clock
from minder.engine.containment import NO_CONTAINMENT, NO_JOURNAL, Containment, SpawnJournal
from minder.engine.notify import NotifyDirectory
from minder.engine.readbatch import ReadBatch
from minder.engine.reaper import Reaper
from minder.engine.restarting import uniform
from minder.engine.spawn import Spawner, spawn
from minder.engine.vitals import RestartHook
from minder.records import mutable_record

Logger = Callable[[str, str], None]  # (level, message)


@mutable_record
class EngineContext:
    """What every process needs from the engine around it."""

    loop: asyncio.AbstractEventLoop
    clock: Clock
    reaper: Reaper
    bus: EventBus
    log: Logger
    may_restart: Callable[[], bool]  # False while the daemon shuts down or restarts
    base_env: dict[str, str]
    daemon_env: tuple[tuple[str, str], ...]
    server_url: str | None
    random: Callable[[], float] = uniform  # the jitter of paced restarts
    spawner: Spawner = spawn  # the seam for placing children (cgroups, namespaces) and tests
    containment: Containment = NO_CONTAINMENT  # who owns a program's descendants
    journal: SpawnJournal = NO_JOURNAL  # the children state file next to the pidfile
    output_tee: Callable[[str, str], Callable[[bytes], None]] | None = None  # (name, channel)
    # minder (issue 16): where notify sockets go, and who restarts on a verdict
    notify_dir: NotifyDirectory | None = None
    on_verdict: RestartHook | None = None
    read_batch: ReadBatch = field(default_factory=ReadBatch)  # busy pipes, one timer
