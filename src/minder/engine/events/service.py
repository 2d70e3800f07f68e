"""Wires supervisord's event system into a running Supervisor.

Everything hangs off one synchronous bus listener, so the engine needs a
single hook (create this object and register ``on_event`` for ``events``
before any group exists). While no pool exists it takes only the group and
state changes below; once a pool exists, every event (pools subscribe to
any type). From the bus it learns:

- GroupAdded / GroupRemoved: create or drop the pool of an [eventlistener:x];
- a process entering STARTING (before its spawn, so before any output can
  be read): plug the listener protocol into a listener's stdout (``route``)
  and capture mode into channels with *_capture_maxbytes (``capture``);
- a process leaving for a stopped state: flush a capture parser's held-back
  tail, so short final output is not lost.

Listener stdin is written through the runner's non-blocking writer and a
restart is a background task: nothing here awaits a listener.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

from minder.engine.events.router import EventRouter
from minder.model.events import (
    DomainEvent,
    GroupAdded,
    GroupRemoved,
    ProcessCommunication,
    ProcessStateChanged,
)
from minder.model.specs import GroupKind, GroupSpec
from minder.protocol.faults import SupervisorFault
from minder.protocol.states import ProcessState

if TYPE_CHECKING:
    from minder.engine.bus import EventBus, EventTypes
    from minder.engine.clock import Clock
    from minder.engine.defaults import Logger
    from minder.engine.events.capture import CaptureSplitter
    from minder.engine.output import OutputChannel
    from minder.engine.process import ProcessRunner


class ListenerHost(Protocol):
    """What the listener service needs from the Supervisor, and nothing more."""

    log: Logger
    clock: Clock
    bus: EventBus

    def identification(self) -> str: ...

    def find_runner(self, group: str, name: str) -> ProcessRunner | None: ...

    def group_spec(self, group: str) -> GroupSpec | None: ...

    def publish(self, event: DomainEvent) -> None: ...

    def accepting_restarts(self) -> bool: ...

# What on_event reads while there is no pool (a pool takes every type).
_OBSERVED = (GroupAdded, GroupRemoved, ProcessStateChanged)

_ENDED = frozenset(
    {
        ProcessState.BACKOFF,
        ProcessState.EXITED,
        ProcessState.STOPPED,
        ProcessState.FATAL,
        ProcessState.UNKNOWN,
    }
)


VIOLATION_MEMORY = 60.0  # seconds after which a protocol violation is forgiven
MAX_RESTART_DELAY = 30  # seconds


class _MainLogAdapter:
    """PoolLog on top of the engine's logger (``warning`` -> ``warn``)."""

    def __init__(self, log: Logger) -> None:
        self._log = log

    def debug(self, msg: str) -> None:
        self._log.debug(msg)

    def warning(self, msg: str) -> None:
        self._log.warn(msg)

    def error(self, msg: str) -> None:
        self._log.error(msg)


class RunnerHandle:
    """A listener process as its pool sees it (see pool.ListenerHandle)."""

    def __init__(self, service: EventListeners, runner: ProcessRunner) -> None:
        self._service = service
        self._runner = runner

    def is_running(self) -> bool:
        return self._runner.state is ProcessState.RUNNING

    def send(self, data: bytes) -> bool:
        try:
            self._runner.write_stdin(data)
        except SupervisorFault:
            return False
        return True

    def restart(self, reason: str) -> None:
        self._service.restart_listener(self._runner, reason)


class EventListeners:
    """Event listener pools and capture mode for one Supervisor."""

    def __init__(self, host: ListenerHost) -> None:
        self._sup = host
        self.log = _MainLogAdapter(host.log)
        self.router = EventRouter(
            server=host.identification(),
            log=self.log,
            handle_factory=self._handle,
            log_events_enabled=self._log_events_enabled,
        )
        self._splitters: dict[tuple[str, str, str], CaptureSplitter] = {}
        self._restarts: set[asyncio.Task[None]] = set()
        self._violations: dict[str, tuple[int, float]] = {}  # namespec -> (count, last)

    @property
    def dropped(self) -> int:
        """Events discarded because a pool's buffer overflowed (all pools)."""
        return self.router.dropped

    # --- bus listener ------------------------------------------------------
    def wants_tick(self, period: int) -> bool:
        """Whether some pool subscribes to TICK_<period> (or EVENT)."""
        name = f"TICK_{period}"
        return any(pool.wants(name) for pool in self.router.pools.values())

    def buffer_drops(self) -> dict[str, int]:
        """Events each pool dropped from a full buffer."""
        return {name: pool.dropped for name, pool in self.router.pools.items()}

    def overruns(self) -> dict[str, int]:
        """Times each pool's buffer overran."""
        return {name: pool.overruns for name, pool in self.router.pools.items()}

    @property
    def events(self) -> EventTypes:
        """The event types on_event must be given now."""
        return None if self.router.pools else _OBSERVED

    def on_event(self, event: DomainEvent) -> None:
        try:
            self._observe(event)
        except Exception as exc:  # never let a bug here break the publisher
            self.log.error(f"event listener wiring failed for {event!r}: {exc!r}")
        self.router.on_event(event)

    def _observe(self, event: DomainEvent) -> None:
        if isinstance(event, GroupAdded):
            spec = self._sup.group_spec(event.group)
            if spec is not None and spec.kind is GroupKind.EVENTLISTENER:
                try:
                    self.router.add_pool(spec)
                    self._sup.bus.retune(self.on_event, self.events)
                except (ImportError, AttributeError, ValueError) as exc:
                    handler = spec.listener.result_handler if spec.listener else ""
                    self.log.error(
                        f"pool {event.group} gets no events: cannot load result_handler "
                        f"{handler!r}: {exc}"
                    )
        elif isinstance(event, GroupRemoved):
            self.router.remove_pool(event.group)
            self._sup.bus.retune(self.on_event, self.events)
            for key in [k for k in self._splitters if k[0] == event.group]:
                del self._splitters[key]
        elif isinstance(event, ProcessStateChanged):
            if event.to_state is ProcessState.STARTING:
                self._plug(event.group, event.name)
            elif event.to_state in _ENDED:
                self._flush_captures(event.group, event.name)

    # --- per-process seams ---------------------------------------------------
    def _runner(self, group: str, name: str) -> ProcessRunner | None:
        return self._sup.find_runner(group, name)

    def _plug(self, group: str, name: str) -> None:
        runner = self._runner(group, name)
        if runner is None:
            return
        pool = self.router.pools.get(group)
        if pool is not None and runner.stdout.route is None:
            runner.stdout.plug(route=self._listener_stdout(runner.stdout))
        channels = [] if pool is not None else [(runner.stdout, runner.spec.stdout)]
        if runner.stderr is not None:
            channels.append((runner.stderr, runner.spec.stderr))
        for channel, log in channels:
            if log.capture_maxbytes > 0 and channel.capture is None:
                from minder.engine.events.capture import CaptureSplitter  # *_capture_maxbytes only

                splitter = CaptureSplitter(log.capture_maxbytes)
                self._splitters[(group, name, channel.channel)] = splitter
                channel.plug(capture=self._capture(channel, splitter))

    def _listener_stdout(self, channel: OutputChannel) -> Callable[[bytes], None]:
        """A listener's stdout: logged as usual, then fed to its pool."""
        log = self._sup.log

        def route(data: bytes) -> None:
            if channel.sink is not None:
                channel.sink.write(data)
            log.debug(f"{channel.name!r} {channel.channel} output:\n{data!r}")
            pool = self.router.pools.get(channel.group)
            if pool is not None:
                pool.feed(channel.name, data)

        return route

    def _capture(
        self, channel: OutputChannel, splitter: CaptureSplitter
    ) -> Callable[[bytes], bytes]:
        def capture(data: bytes) -> bytes:
            logged = bytearray()
            for segment in splitter.feed(data):
                if segment.captured:
                    self._sup.publish(
                        ProcessCommunication(
                            channel.group, channel.name, channel.channel, channel.pid, segment.data
                        )
                    )
                else:
                    logged += segment.data
            return bytes(logged)

        return capture

    def _flush_captures(self, group: str, name: str) -> None:
        runner = self._runner(group, name)
        if runner is None:
            return
        for channel in (runner.stdout, runner.stderr):
            splitter = self._splitters.get((group, name, channel.channel)) if channel else None
            if channel is None or splitter is None:
                continue
            tail = b"".join(s.data for s in splitter.finish())
            if tail:
                channel.feed_uncaptured(tail)

    def _log_events_enabled(self, group: str, name: str, channel: str) -> bool:
        runner = self._runner(group, name)
        if runner is None:
            return False
        if channel == "stdout":
            return runner.spec.stdout.events_enabled and group not in self.router.pools
        return runner.spec.stderr.events_enabled

    # --- listener processes ----------------------------------------------------
    def _handle(self, group: str, name: str) -> RunnerHandle:
        runner = self._runner(group, name)
        if runner is None:
            raise LookupError(f"no process {group}:{name}")
        return RunnerHandle(self, runner)

    def restart_listener(self, runner: ProcessRunner, reason: str) -> None:
        """Stop and start a listener in the background (never awaited here).

        A listener that breaks the protocol again soon after is restarted
        with a growing delay, so one that always does cannot spin.
        """
        if not self._sup.accepting_restarts():
            return
        now = self._sup.clock.monotonic()
        count, last = self._violations.get(runner.namespec, (0, now))
        count = count + 1 if now - last < VIOLATION_MEMORY else 1
        self._violations[runner.namespec] = (count, now)
        delay = min(count - 1, MAX_RESTART_DELAY)
        later = f" in {delay} seconds" if delay else ""
        self._sup.log.warn(f"restarting {runner.namespec}{later}: {reason}")
        task = asyncio.get_running_loop().create_task(self._restart(runner, delay))
        self._restarts.add(task)
        task.add_done_callback(self._restarts.discard)

    async def _restart(self, runner: ProcessRunner, delay: float) -> None:
        with contextlib.suppress(SupervisorFault):
            await runner.stop()
        if delay:
            await asyncio.sleep(delay)
        if self._sup.accepting_restarts() and not runner.removed:
            with contextlib.suppress(SupervisorFault):
                await runner.start(wait=False)

    def close(self) -> None:
        for task in self._restarts:
            task.cancel()
