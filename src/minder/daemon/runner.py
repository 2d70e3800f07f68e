"""The daemon's run loop: wire logger, engine and HTTP servers, then serve.

Why a loop: supervisord reloads in-process (SIGHUP, ``restart()``), keeping
its pid. Each turn of ``run`` builds everything from one RootSpec and tears
it all down when the engine finishes stopping; a restart goes round again
with the new, already-validated config. A broken config never gets that
far: it is rejected while the old one keeps running (unlike supervisord,
which stops everything and then dies silently).

Signals only enqueue; one task dispatches them in order.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from minder import __version__
from minder.daemon import container
from minder.daemon.daemonize import Detached
from minder.daemon.pidfile import PidfileInUse, claim_pidfile, remove_pidfile
from minder.daemon.survivors import ChildJournal, journal_path, terminate_survivors
from minder.engine.bus import EventBus
from minder.engine.containment import become_subreaper
from minder.engine.defaults import server_url_for
from minder.engine.gcpause import collections_paused, freeze_survivors, thaw
from minder.engine.logs.autonames import cleanup_auto_logs
from minder.engine.logs.mainlog import MainLog, stdout_is_journal
from minder.engine.supervisor import Supervisor
from minder.http.binding import BoundServer, bind_servers
from minder.http.sockets import HttpServerError
from minder.model.events import GroupRemoved, MainLogLine
from minder.model.specs import RootSpec
from minder.protocol.faults import SupervisorFault
from minder.protocol.states import SupervisorState
from minder.records import mutable_record

if TYPE_CHECKING:
    from minder.http.server import HttpServers

EXIT_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGQUIT)
HANDLED_SIGNALS = (*EXIT_SIGNALS, signal.SIGHUP, signal.SIGUSR2, signal.SIGUSR1)


def publish_main_log_line(bus: EventBus, record: bytes) -> None:
    """A main-log line as an event, built only when a follower or subscriber takes it."""
    if bus.wants(MainLogLine):
        bus.publish(MainLogLine(record))


class StartupError(Exception):
    """Printed as ``Error: ...`` with exit code 2 (servers cannot bind, say)."""


@mutable_record
class DaemonRun:
    """Everything one daemon run needs from the command line."""

    root: RootSpec
    load_config: Callable[[], RootSpec]  # re-reads the same file with the same overrides
    notes: list[tuple[str, str]] = field(default_factory=list)  # (level, line) to log first
    detached: Detached | None = None  # told ready() once the first run is serving
    first_run: bool = True
    # main() paused the garbage collector for the whole start-up: on again once
    # the first start burst is spawned
    resume_collection: bool = False


class Daemon:
    def __init__(self, run: DaemonRun) -> None:
        self._run = run
        self._signals: asyncio.Queue[int] = asyncio.Queue()
        self.exit_code = 0
        self._supervisor: Supervisor | None = None
        self._log: MainLog | None = None
        # Orphans of our programs come to us, not to init: reaped, attributed, killed.
        self._subreaper = become_subreaper()

    async def run(self) -> int:
        """Serve until shutdown; signal handlers stay installed for the whole life.

        Re-installing them for each run left a window during a reload where
        SIGHUP or SIGUSR2 (logrotate) had its default action and killed the
        daemon. A signal that arrives between two runs waits in the queue for
        the next run's dispatcher.
        """
        loop = asyncio.get_running_loop()
        for signum in HANDLED_SIGNALS:
            loop.add_signal_handler(signum, self._signals.put_nowait, int(signum))
        try:
            root = self._run.root
            while True:
                next_root = await self._serve(root)
                if next_root is None:
                    return self.exit_code
                root = next_root
                self._run.first_run = False
        finally:
            for signum in HANDLED_SIGNALS:
                loop.remove_signal_handler(signum)

    def _make_log(self, root: RootSpec) -> MainLog:
        d = root.daemon
        return MainLog(
            d.logfile,
            d.logfile_maxbytes,
            d.logfile_backups,
            d.loglevel,
            echo_stdout=d.nodaemon and not d.silent,
            logformat=d.logformat,
            journal=stdout_is_journal(),
        )

    async def _serve(self, root: RootSpec) -> RootSpec | None:
        """One run from config to full stop; returns the root to reload with, or None."""
        loop = asyncio.get_running_loop()
        log = self._make_log(root)
        self._log = log
        for level, line in self._run.notes:
            getattr(log, level)(line)
        self._run.notes = []
        if not root.daemon.nocleanup:
            cleanup_auto_logs(root.daemon.childlogdir, root.daemon.identifier, log.warn)
        journal = ChildJournal(journal_path(root.daemon.pidfile), server_url_for(root))
        supervisor = Supervisor(
            root,
            log=log,
            config_loader=self._run.load_config,
            main_log_path=lambda: log.file_path,
            clear_main_log=log.clear,
            reap_orphans=self._subreaper or os.getpid() == 1,  # orphans come to us
            containment=root.daemon.containment,
            journal=journal,
        )
        self._supervisor = supervisor
        timeout = container.shutdown_timeout(root.daemon)
        bound_shutdown = container.ShutdownBound(supervisor, timeout)
        supervisor.bus.add_listener(bound_shutdown.on_event, types=bound_shutdown.EVENTS)
        log.add_listener(lambda record: publish_main_log_line(supervisor.bus, record))
        bound = self._bind_http(root, log)
        servers: HttpServers | None = None
        dispatcher = loop.create_task(self._dispatch_signals())
        pidfile = root.daemon.pidfile
        try:
            note = claim_pidfile(pidfile)
        except PidfileInUse as exc:
            await self._abort(dispatcher, bound, log)
            raise StartupError(str(exc)) from exc
        except OSError as exc:
            note = f"could not write pidfile {pidfile}: {exc.strerror}"
            log.critical(note)
            note = None
        if note:
            log.info(note)
        # The words before "(minder" are supervisord's, which log parsers match.
        log.info(f"supervisord started with pid {os.getpid()} (minder {__version__})")
        self._take_over_children(journal, log)
        try:
            try:
                with collections_paused():  # every group made, every autostart spawned
                    await supervisor.start()
                if self._run.resume_collection:
                    self._run.resume_collection = False
                    gc.enable()
                freeze_survivors()  # the burst's objects: no later collection walks them
                supervisor.bus.add_listener(lambda _event: thaw(), types=(GroupRemoved,))
            except OSError as exc:  # an fcgi socket that cannot be bound, say
                log.critical(f"cannot start: {exc}")
                raise StartupError(str(exc)) from exc
            servers = await self._serve_http(supervisor, root, log, bound)
            bound = []
            if self._run.detached is not None:
                self._run.detached.ready()
                self._run.detached = None
            await supervisor.wait_finished()
        finally:
            dispatcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await dispatcher
            for server in bound:  # start-up failed before they were served
                server.close()
            if servers is not None:
                await servers.close()
            bound_shutdown.cancel()
            await supervisor.close()
            journal.close()
            with contextlib.suppress(OSError):
                remove_pidfile(pidfile)
        thaw()  # this run's objects may die now (a reload builds everything anew)
        next_root = supervisor.reload_root()
        self.exit_code = supervisor.exit_code
        log.close()
        return next_root

    def _take_over_children(self, journal: ChildJournal, log: MainLog) -> None:
        """Never two copies: end what a killed predecessor left, then journal our own."""
        try:
            terminate_survivors(journal.path, lambda level, msg: getattr(log, level)(msg))
            journal.begin()
        except OSError as exc:
            log.warn(f"children state file {journal.path}: {exc.strerror}; "
                     "a daemon started after a crash of this one cannot find its children")

    def _bind_http(self, root: RootSpec, log: MainLog) -> list[BoundServer]:
        if not root.http_servers:
            return []
        try:
            return bind_servers(root.http_servers, root.rpcinterfaces, log)
        except (HttpServerError, OSError) as exc:
            log.close()
            raise StartupError(str(exc)) from exc

    async def _serve_http(
        self, supervisor: Supervisor, root: RootSpec, log: MainLog, bound: list[BoundServer]
    ) -> HttpServers | None:
        if not bound:
            return None
        from minder.http.server import HttpServers  # aiohttp: after the first spawns

        servers = HttpServers(supervisor, root.http_servers, log)
        try:
            await servers.serve(bound)
        except (HttpServerError, OSError) as exc:
            log.critical(f"cannot serve HTTP: {exc}")
            supervisor.request_shutdown()
            await supervisor.wait_finished()
            raise StartupError(str(exc)) from exc
        return servers

    async def _abort(
        self,
        dispatcher: asyncio.Task[None],
        bound: list[BoundServer],
        log: MainLog,
    ) -> None:
        """Undo a start that cannot proceed (nothing has been spawned yet)."""
        dispatcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await dispatcher
        for server in bound:
            server.close()
        log.close()

    async def _dispatch_signals(self) -> None:
        while True:
            signum = await self._signals.get()
            self._handle_signal(signum)

    def _handle_signal(self, signum: int) -> None:
        sup, log = self._supervisor, self._log
        assert sup is not None and log is not None
        name = signal.Signals(signum).name
        if signum in EXIT_SIGNALS:
            if sup.supervisor_state() is SupervisorState.RUNNING:
                log.warn(f"received {name} indicating exit request")
                sup.request_shutdown()
            elif sup.exit_instead_of_reload():
                # Stopping for a reload already: exit at the end instead of reloading.
                log.warn(f"received {name} indicating exit request")
            else:
                log.warn(f"received {name} again while stopping: killing what is left")
                sup.kill_remaining()
        elif signum == signal.SIGHUP:
            if sup.supervisor_state() is not SupervisorState.RUNNING:
                log.warn("ignored SIGHUP indicating restart request (shutdown in progress)")
                return
            log.warn("received SIGHUP indicating restart request")
            try:
                sup.request_restart()
            except SupervisorFault as fault:
                log.error(
                    "restart aborted, the config has errors; still running the old one:\n"
                    f"{fault.extra}"
                )
        elif signum == signal.SIGUSR2:
            log.info("received SIGUSR2 indicating log reopen request")
            log.reopen()
            sup.reopen_logs()
            log.info("supervisord logreopen")
        elif signum in container.FORWARDED and container.is_container(sup.root_spec().daemon):
            sent = container.forward(sup, signum)
            log.info(f"received {name}: forwarded to {sent} running program(s)")
        else:
            log.warn(f"received {name}; ignored (supervisord would die of it)")
