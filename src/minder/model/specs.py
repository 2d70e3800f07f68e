"""Frozen, typed specs of a parsed supervisord-format config.

This is the contract between ``config/`` (which builds them from INI text)
and everything else (which only reads them). Specs are immutable so that a
reload can diff the old and the new tree (``model/diff.py``) and the engine
can hold a spec without fear of it changing underneath.

Provenance (file and line) is carried for error messages but excluded from
equality, so moving a section within a file is not a config change.
"""

from __future__ import annotations

from dataclasses import field
from enum import Enum

from minder.model.pacing import DEFAULT_PACING, Pacing
from minder.records import record


@record
class Provenance:
    """Where a section or key came from, for messages like ``a.conf:12``."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


class AutoRestart(Enum):
    NEVER = "false"
    ALWAYS = "true"
    UNEXPECTED = "unexpected"


class GroupKind(Enum):
    PROGRAM = "program"  # [program:x] -> a homogeneous group named x
    HETEROGENEOUS = "group"  # [group:x] programs=a,b
    EVENTLISTENER = "eventlistener"  # [eventlistener:x]
    FCGI = "fcgi-program"  # [fcgi-program:x]


@record
class LogSpec:
    """One output channel (stdout or stderr) of a process.

    ``path`` is None for NONE (and for stderr under redirect_stderr);
    ``auto`` is True for AUTO, whose real file name under ``childlogdir`` is
    chosen by the engine when the group is created.
    """

    path: str | None = None
    auto: bool = True
    maxbytes: int = 50 * 1024 * 1024
    backups: int = 10
    capture_maxbytes: int = 0
    events_enabled: bool = False
    syslog: bool = False


@record
class ProbeSpec:
    """One check of a process (minder: ready_check / health_check).

    ``kind`` is "tcp" (connect to host:port), "http" (GET url, expect 2xx),
    "exec" (run command, expect exit 0) or "notify" (the sd_notify protocol:
    READY=1 for readiness, WATCHDOG=1 pings for liveness).
    """

    kind: str
    target: str = ""  # host:port, the URL, or the command line; "" for notify
    host: str = ""
    port: int = 0
    interval: float = 1.0  # seconds between probes
    timeout: float = 1.0  # seconds one probe may take; a slower probe failed


@record
class HealthSpec:
    """Readiness and liveness of a process (minder extension)."""

    ready: ProbeSpec | None = None  # None: ready means RUNNING
    ready_deadline: float = 0.0  # seconds from spawn; 0 = no deadline
    health: ProbeSpec | None = None
    health_retries: int = 3  # consecutive failures before a restart
    health_start_period: float = 0.0  # failures in this window after ready don't count


@record
class ResourceSpec:
    """Per-process resources (minder extension)."""

    # (name, soft, hard) with RLIM_INFINITY as -1, e.g. ("NOFILE", 1024, 4096)
    rlimits: tuple[tuple[str, int, int], ...] = ()
    memory_limit: int = 0  # bytes; 0 = none
    environment_file: str | None = None
    # The file's variables, read at load time; never shown in a repr or log.
    file_environment: tuple[tuple[str, str], ...] = field(default=(), repr=False)


@record
class ProcessSpec:
    """One process (a program with numprocs=3 yields three of these)."""

    name: str  # process_name after expansion
    program_name: str  # the section name after "program:"
    command: str  # expanded, not yet split (split at spawn, like supervisord)
    process_num: int = 0
    # Not compared: growing or shrinking a program must not restart the members
    # that stay (update restarts only processes whose spec differs); anything
    # numprocs reaches through %(numprocs)d is already in the expanded fields.
    numprocs: int = field(default=1, compare=False)
    directory: str | None = None
    umask: int | None = None
    priority: int = 999
    autostart: bool = True
    autorestart: AutoRestart = AutoRestart.UNEXPECTED
    startsecs: int = 1
    startretries: int = 3
    exitcodes: tuple[int, ...] = (0,)
    stopsignal: int = 15
    stopwaitsecs: int = 10
    stopasgroup: bool = False
    killasgroup: bool = False
    user: str | None = None  # as written in the config
    uid: int | None = None  # resolved at parse time
    gid: int | None = None  # the user's primary group
    redirect_stderr: bool = False
    stdout: LogSpec = LogSpec()
    stderr: LogSpec = LogSpec()
    environment: tuple[tuple[str, str], ...] = ()  # the program's own, in order
    serverurl: str | None = None  # None = AUTO
    # minder extensions (documented in docs/configuration.md)
    depends_on: tuple[str, ...] = ()
    # minder: issue 14, restart pacing and process containment
    pacing: Pacing = DEFAULT_PACING
    killdescendants: bool = True  # stop/exit also ends what the program left running
    essential: bool = False  # its exit ends the daemon (container mode)
    # minder: readiness, liveness and resources (issue 16)
    health: HealthSpec = HealthSpec()
    resources: ResourceSpec = ResourceSpec()
    source: Provenance | None = field(default=None, compare=False)


@record
class ListenerPoolSpec:
    """What an ``[eventlistener:x]`` pool subscribes to and how it buffers."""

    events: tuple[str, ...]
    buffer_size: int = 10
    result_handler: str = "supervisor.dispatchers:default_handler"


@record
class FcgiSocketSpec:
    """The socket an ``[fcgi-program:x]`` group shares as its processes' stdin."""

    url: str  # as written: tcp://host:port or unix:///path
    family: str  # "tcp" or "unix"
    host: str | None = None
    port: int | None = None
    path: str | None = None
    owner_uid: int | None = None
    owner_gid: int | None = None
    mode: int = 0o700
    backlog: int | None = None


@record
class GroupSpec:
    """One process group as configured: its kind, priority and processes."""

    name: str
    kind: GroupKind
    priority: int = 999
    processes: tuple[ProcessSpec, ...] = ()
    listener: ListenerPoolSpec | None = None  # kind == EVENTLISTENER
    fcgi: FcgiSocketSpec | None = None  # kind == FCGI
    # minder (issue 16): how ``update`` replaces the changed running processes:
    # "restart" (all at once, supervisord) or "rolling" (update_batch at a time,
    # each batch ready before the next). Not part of equality: changing only
    # the strategy restarts nothing; the pending config's value is used.
    update_strategy: str = field(default="restart", compare=False)
    update_batch: int = field(default=1, compare=False)
    source: Provenance | None = field(default=None, compare=False)


@record
class HttpServerSpec:
    """One [unix_http_server*] or [inet_http_server*] section."""

    section: str  # e.g. "unix_http_server" or "inet_http_server:admin"
    family: str  # "unix" or "inet"
    path: str | None = None  # unix
    chmod: int = 0o700  # unix
    chown_uid: int = -1  # unix
    chown_gid: int = -1  # unix
    host: str | None = None  # inet; "" means all interfaces
    port: int | None = None  # inet
    username: str | None = None
    password: str | None = None  # cleartext or "{SHA}<hex>"
    # minder: an inet server on a non-loopback address without credentials
    # refuses to start unless this is set (secure by default).
    allow_unauthenticated_remote: bool = False
    # minder: serve /healthz and /readyz without credentials (issue 16)
    probe_endpoints: bool = False
    source: Provenance | None = field(default=None, compare=False)


@record
class DaemonSpec:
    """The [supervisord] section."""

    logfile: str = "supervisord.log"  # absolute after loading, or "syslog"
    logfile_maxbytes: int = 50 * 1024 * 1024
    logfile_backups: int = 10
    loglevel: str = "info"  # critical,error,warn,info,debug,trace,blather
    pidfile: str = "supervisord.pid"
    umask: int = 0o22
    nodaemon: bool = False
    silent: bool = False
    minfds: int = 1024
    minprocs: int = 200
    nocleanup: bool = False
    childlogdir: str = "/tmp"
    user: str | None = None
    uid: int | None = None
    gid: int | None = None
    directory: str | None = None
    strip_ansi: bool = False
    environment: tuple[tuple[str, str], ...] = ()
    identifier: str = "supervisor"
    strict: bool = False  # minder: warnings are errors
    # minder: issue 14, process containment and container (PID 1) mode
    containment: str = "auto"  # auto, cgroup, subreaper or off
    container: bool = False  # act as a container's init even when not PID 1
    childlogs_to_stdout: bool = False  # copy child output to our stdout as "name | line"
    shutdown_timeout: float = 0.0  # SIGKILL what is left after this long; 0 = no bound
    logformat: str = "text"  # minder: "text" (supervisord's lines) or "json"


@record
class CtlSpec:
    """The [supervisorctl] section."""

    serverurl: str = "http://localhost:9001"
    username: str | None = None
    password: str | None = None
    prompt: str = "supervisor"
    history_file: str | None = None


@record
class RpcInterfaceSpec:
    """An ``[rpcinterface:x]`` section: the factory and its extra keys."""

    name: str
    factory: str
    extras: tuple[tuple[str, str], ...] = ()


@record
class RootSpec:
    """A whole loaded config: the main file plus its includes."""

    config_file: str
    daemon: DaemonSpec = DaemonSpec()
    groups: tuple[GroupSpec, ...] = ()  # sorted by (priority, name)
    http_servers: tuple[HttpServerSpec, ...] = ()
    ctl: CtlSpec | None = None
    rpcinterfaces: tuple[RpcInterfaceSpec, ...] = ()
    included_files: tuple[str, ...] = ()

    def group(self, name: str) -> GroupSpec | None:
        for g in self.groups:
            if g.name == name:
                return g
        return None
