"""Every section kind and key minder reads: default, type, one-line meaning.

This table is the single source for unknown-key detection (with
did-you-mean) and for docs/configuration.md, which is generated from it
(``python -m minder.config.schema --markdown``) so the documentation cannot
drift from what the loader accepts.
"""

from __future__ import annotations

import resource
import sys

from minder.records import record


@record
class Key:
    """One known key: its default, its type and what it does (the config reference)."""

    name: str
    default: str
    type: str
    description: str
    minder: bool = False  # a minder extension, not in supervisord


@record
class SectionKind:
    """One kind of section and every key it accepts."""

    kind: str  # "program", "supervisord", ...
    header: str  # how it is written, e.g. "[program:x]"
    prefix: bool  # matched by "kind:" (or, for servers, by startswith)
    description: str
    keys: tuple[Key, ...]
    open_keys: bool = False  # any extra key is allowed (passed to a factory)


def _log_keys(channel: str) -> tuple[Key, ...]:
    c = channel
    return (
        Key(f"{c}_logfile", "AUTO", "AUTO, NONE, syslog or a path",
            f"Where the child's {c} goes; AUTO picks a file under childlogdir."),
        Key(f"{c}_logfile_maxbytes", "50MB", "byte size", "Rotate the log at this size; 0 never."),
        Key(f"{c}_logfile_backups", "10", "integer", "Rotated files kept; 0 keeps none."),
        Key(f"{c}_capture_maxbytes", "0", "byte size",
            f"Enables capture mode (PROCESS_COMMUNICATION events) on {c}."),
        Key(f"{c}_events_enabled", "false", "boolean", f"Emit PROCESS_LOG_{c.upper()} events."),
        Key(f"{c}_syslog", "false", "boolean", f"Also send {c} lines to syslog."),
    )


# minder: issue 14, restart pacing and process containment (read in containment_keys.py)
CONTAINMENT_PROGRAM_KEYS: tuple[Key, ...] = (
    Key("restart_backoff_secs", "0.1", "seconds",
        "First delay before restarting a process that exited within "
        "restart_backoff_reset of starting (a crash loop); 0 restarts at once.", minder=True),
    Key("restart_backoff_factor", "2", "number >= 1",
        "Each further quick exit multiplies the delay by this (with +/-25% jitter).",
        minder=True),
    Key("restart_backoff_max", "30", "seconds", "The crash-loop delay never exceeds this.",
        minder=True),
    Key("restart_backoff_reset", "1", "seconds",
        "A process up this long restarts at once and ends its crash loop.", minder=True),
    Key("startretries_forever", "false", "boolean",
        "Never give up (no FATAL): keep retrying failed starts, the delay capped at "
        "restart_backoff_max.", minder=True),
    Key("fatal_cooldown", "0", "seconds",
        "Retry a FATAL process after this long; 0 leaves it FATAL (supervisord).", minder=True),
    Key("killdescendants", "true", "boolean",
        "Stop and exit also end every process the program left running (setsid, double "
        "fork); false leaves them, as supervisord does.", minder=True),
    Key("essential", "false", "boolean",
        "When this process exits for good, the daemon shuts down and exits with its code; "
        "/readyz then waits only for essential programs.",
        minder=True),
)

_PROBE_FORMS = "tcp://HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND or notify"
_RLIMIT_NAMES = sorted(n[len("RLIMIT_"):].lower() for n in dir(resource) if n.startswith("RLIMIT_"))

# minder (issue 16): readiness, liveness and per-program resources.
HEALTH_KEYS: tuple[Key, ...] = (
    Key("ready_check", "(none: ready = RUNNING)", _PROBE_FORMS,
        "When the process is ready: a TCP connect, an HTTP GET answering 2xx, a command "
        "exiting 0, or READY=1 on $NOTIFY_SOCKET (sd_notify).", minder=True),
    Key("ready_interval", "1", "seconds", "Time between readiness probes.", minder=True),
    Key("ready_timeout", "1", "seconds", "Time one readiness probe may take.", minder=True),
    Key("ready_deadline", "60", "seconds, 0 = none",
        "Not ready this long after spawn: the start failed (retried up to startretries, "
        "then FATAL).", minder=True),
    Key("health_check", "(none)", _PROBE_FORMS,
        "Liveness probe; notify means WATCHDOG=1 pings within every health_interval "
        "($WATCHDOG_USEC is set).", minder=True),
    Key("health_interval", "10", "seconds", "Time between liveness probes.", minder=True),
    Key("health_timeout", "1", "seconds", "Time one liveness probe may take.", minder=True),
    Key("health_retries", "3", "integer >= 1",
        "Consecutive failed liveness probes before the process is restarted.", minder=True),
    Key("health_start_period", "0", "seconds",
        "Liveness failures this soon after the process became ready do not count.",
        minder=True),
    Key("environment_file", "(none)", "path; -path if it may be missing",
        "dotenv file (KEY=value, quotes, # comments) added before environment=.",
        minder=True),
    Key("memory_limit", "0 (none)", "byte size",
        "Restart the process when its memory use (its cgroup, or its process tree's RSS) "
        "exceeds this.", minder=True),
    *(Key(f"rlimit_{name}", "(inherit)", "N, SOFT:HARD or unlimited (KB/MB/GB allowed)",
          f"RLIMIT_{name.upper()} of the process.", minder=True) for name in _RLIMIT_NAMES),
)

# minder (issue 16): how ``update`` replaces a changed group (read in groups.py).
UPDATE_KEYS: tuple[Key, ...] = (
    Key("update_strategy", "restart", "restart or rolling",
        "How update replaces the changed running processes of this group: all at once "
        "(supervisord), or rolling: update_batch at a time, each batch ready before the "
        "next, stopping at the first failure with the rest left on the old version. "
        "In a [group:x] member, set it in the [group:x] section.", minder=True),
    Key("update_batch", "1", "integer >= 1",
        "With update_strategy=rolling, how many processes are replaced at once.",
        minder=True),
)

PROCESS_KEYS: tuple[Key, ...] = (
    Key("command", "(required)", "command line",
        "The program to run; split like a shell would, without a shell."),
    Key("process_name", "%(program_name)s", "name template",
        "Name of each process; must contain %(process_num) when numprocs > 1."),
    Key("numprocs", "1", "integer", "How many copies of the program to run."),
    Key("numprocs_start", "0", "integer", "The first process_num."),
    Key("priority", "999", "integer", "Lower starts earlier and stops later."),
    Key("autostart", "true", "boolean", "Start when the daemon starts or the group is added."),
    Key("startsecs", "1", "integer", "Seconds a process must stay up to count as started."),
    Key("startretries", "3", "integer", "Failed starts allowed before FATAL."),
    Key("autorestart", "unexpected", "true, false or unexpected",
        "Restart after exit: always, never, or on an exit code not in exitcodes."),
    Key("exitcodes", "0", "list of exit codes", "Exit codes that count as expected."),
    Key("stopsignal", "TERM", "signal name or number", "Signal sent to stop the process."),
    Key("stopwaitsecs", "10", "integer", "Seconds to wait after stopsignal before SIGKILL."),
    Key("stopasgroup", "false", "boolean",
        "Send the stop signal to the whole process group; implies killasgroup."),
    Key("killasgroup", "(= stopasgroup)", "boolean", "Send SIGKILL to the whole process group."),
    Key("user", "(none)", "user name or uid", "Run the process as this user (needs root)."),
    Key("redirect_stderr", "false", "boolean", "Send stderr into the stdout log."),
    *_log_keys("stdout"),
    *_log_keys("stderr"),
    Key("environment", "(none)", 'KEY="value" list', "Extra environment variables."),
    Key("directory", "(none)", "path", "Working directory of the process."),
    Key("umask", "(inherit)", "octal", "umask of the process."),
    Key("serverurl", "AUTO", "URL or AUTO", "SUPERVISOR_SERVER_URL given to the process."),
    Key("depends_on", "(none)", "comma list of program names",
        "Start these programs first and stop them after this one.", minder=True),
    *CONTAINMENT_PROGRAM_KEYS,
    *HEALTH_KEYS,
)

_DAEMON_KEYS = (
    Key("logfile", "supervisord.log", "path or syslog", "The daemon's activity log."),
    Key("logfile_maxbytes", "50MB", "byte size", "Rotate the activity log at this size."),
    Key("logfile_backups", "10", "integer", "Rotated activity logs kept."),
    Key("loglevel", "info", "critical, error, warn, info, debug, trace, blather",
        "Activity log verbosity."),
    Key("pidfile", "supervisord.pid", "path", "Where the daemon writes its pid."),
    Key("umask", "022", "octal", "umask of the daemon (applied when daemonizing)."),
    Key("nodaemon", "false", "boolean", "Stay in the foreground."),
    Key("silent", "false", "boolean", "In the foreground, don't copy the log to stdout."),
    Key("minfds", "1024", "integer", "Raise RLIMIT_NOFILE to at least this."),
    Key("minprocs", "200", "integer", "Raise RLIMIT_NPROC to at least this."),
    Key("nocleanup", "false", "boolean", "Keep old AUTO child logs at start."),
    Key("childlogdir", "(temp dir)", "existing directory", "Directory for AUTO child logs."),
    Key("user", "(none)", "user name or uid", "Switch to this user after start (root only)."),
    Key("directory", "(none)", "existing directory", "chdir here when daemonizing."),
    Key("strip_ansi", "false", "boolean", "Strip ANSI escapes from child output."),
    Key("environment", "(none)", 'KEY="value" list', "Added to every child's environment."),
    Key("identifier", "supervisor", "string", "Identifies this daemon over RPC."),
    Key("strict", "false", "boolean", "Treat config warnings as errors.", minder=True),
    # minder: issue 14, containment and container (PID 1) mode
    Key("containment", "auto", "auto, cgroup, subreaper or off",
        "How descendants are tracked: a cgroup v2 subtree, or a child subreaper with "
        "process-tree tracking; auto picks cgroup where it is writable.", minder=True),
    Key("container", "false", "boolean",
        "Act as a container's init (as when PID 1): reap every orphan, essential programs.",
        minder=True),
    Key("childlogs_to_stdout", "false", "boolean",
        "Also copy child output to the daemon's stdout, each line prefixed by its process name.",
        minder=True),
    Key("shutdown_timeout", "0 (container: 9)", "seconds",
        "SIGKILL whatever is still running this long after shutdown began; 0 = no bound.",
        minder=True),
    Key("logformat", "text", "text or json",
        "Activity log lines: supervisord's text, or one JSON object per line.", minder=True),
)

_AUTH_KEYS = (
    Key("username", "(none)", "string", "Basic-auth user name."),
    Key("password", "(none)", "string or {SHA}hex", "Basic-auth password."),
    Key("probe_endpoints", "false", "boolean",
        "Serve GET /healthz and /readyz without credentials: a status and a one-line "
        "reason, nothing else.", minder=True),
)

SECTION_KINDS: tuple[SectionKind, ...] = (
    SectionKind("supervisord", "[supervisord]", False, "The daemon itself (required).",
                _DAEMON_KEYS),
    SectionKind("unix_http_server", "[unix_http_server]", True,
                "An HTTP/XML-RPC server on a unix socket.", (
                    Key("file", "(required)", "path", "Socket path."),
                    Key("chmod", "0700", "octal", "Socket file mode."),
                    Key("chown", "(unchanged)", "user or user:group", "Socket file owner."),
                    *_AUTH_KEYS,
                )),
    SectionKind("inet_http_server", "[inet_http_server]", True,
                "An HTTP/XML-RPC server on TCP.", (
                    Key("port", "(required)", "host:port, :port or port", "Listen address."),
                    *_AUTH_KEYS,
                    Key("allow_unauthenticated_remote", "false", "boolean",
                        "Allow a non-loopback address without username/password.",
                        minder=True),
                )),
    SectionKind("supervisorctl", "[supervisorctl]", False, "Defaults for the client.", (
        Key("serverurl", "http://localhost:9001", "URL", "http://host:port or unix:///path."),
        Key("username", "(none)", "string", "Basic-auth user name."),
        Key("password", "(none)", "string", "Basic-auth password (cleartext)."),
        Key("prompt", "supervisor", "string", "Interactive prompt."),
        Key("history_file", "(none)", "path", "readline history file."),
    )),
    SectionKind("include", "[include]", False, "More config files (main file only).", (
        Key("files", "(required)", "whitespace-separated globs",
            "Files to read, relative to the main config's directory."),
    )),
    SectionKind("program", "[program:x]", True, "A program: numprocs processes in group x.",
                (*PROCESS_KEYS, *UPDATE_KEYS)),
    SectionKind("group", "[group:x]", True, "A group of several programs.", (
        Key("programs", "(none)", "comma list of program names", "Members, in start order."),
        Key("priority", "999", "integer", "Group start order."),
        *UPDATE_KEYS,
    )),
    SectionKind("fcgi-program", "[fcgi-program:x]", True,
                "A program whose processes share a listening socket on fd 0.", (
                    *PROCESS_KEYS,
                    Key("socket", "(required)", "tcp://host:port or unix:///path",
                        "The socket to listen on."),
                    Key("socket_backlog", "(SOMAXCONN)", "integer 1-65535", "listen() backlog."),
                    Key("socket_owner", "(program user)", "user or user:group",
                        "Owner of a unix socket."),
                    Key("socket_mode", "0700", "octal", "Mode of a unix socket."),
                    *UPDATE_KEYS,
                )),
    SectionKind("eventlistener", "[eventlistener:x]", True,
                "A pool of processes that receive events on stdin.", (
                    *(Key(k.name, "-1", k.type, "Pool start order (listeners start first).")
                      if k.name == "priority" else k for k in PROCESS_KEYS),
                    Key("events", "(required)", "comma list of event types",
                        "Event types to subscribe to."),
                    Key("buffer_size", "10", "integer >= 1", "Events queued per pool."),
                    Key("result_handler", "supervisor.dispatchers:default_handler",
                        "module:callable", "Interprets the listener's result."),
                )),
    SectionKind("rpcinterface", "[rpcinterface:x]", True,
                "An XML-RPC namespace; other keys are passed to the factory.", (
                    Key("supervisor.rpcinterface_factory", "(required)", "module:callable",
                        "Factory of the namespace."),
                ), open_keys=True),
    SectionKind("ctlplugin", "[ctlplugin:x]", True,
                "A client plugin; other keys are passed to the factory.", (
                    Key("supervisor.ctl_factory", "(required)", "module:callable",
                        "Factory of the plugin."),
                ), open_keys=True),
)

KINDS = {kind.kind: kind for kind in SECTION_KINDS}
ALL_KEY_NAMES = frozenset(k.name for kind in SECTION_KINDS for k in kind.keys)
_KEY_NAMES = {kind.kind: frozenset(k.name for k in kind.keys) for kind in SECTION_KINDS}


def kind_of(section: str) -> SectionKind | None:
    """The kind of a section name, by supervisord's matching rules."""
    for server in ("unix_http_server", "inet_http_server"):
        if section.startswith(server):
            return KINDS[server]
    if section in ("supervisord", "supervisorctl", "include"):
        return KINDS[section]
    prefix, sep, _ = section.partition(":")
    if sep and prefix in KINDS and KINDS[prefix].prefix:
        return KINDS[prefix]
    return None


def key_names(kind: SectionKind) -> frozenset[str]:
    """The key names of ``kind``; made once per known kind, as lint asks for every section."""
    if KINDS.get(kind.kind) is kind:
        return _KEY_NAMES[kind.kind]
    return frozenset(k.name for k in kind.keys)


def markdown() -> str:
    lines = [
        "# Configuration reference",
        "",
        "<!-- Generated by `python -m minder.config.schema --markdown`; do not edit. -->",
        "",
        "minder reads supervisord 4.3 configuration files unchanged. This page lists every",
        "section and key it understands; keys marked *(minder)* are minder extensions.",
        "Unknown sections and keys are reported with a did-you-mean suggestion",
        "(`minderd --check`), where supervisord ignores them silently.",
        "",
    ]
    for kind in SECTION_KINDS:
        lines += [f"## `{kind.header}`", "", kind.description, ""]
        if kind.open_keys:
            lines += ["Any other key is passed to the factory as a string argument.", ""]
        lines += ["| key | default | type | meaning |", "|---|---|---|---|"]
        for key in kind.keys:
            mark = " *(minder)*" if key.minder else ""
            lines.append(
                f"| `{key.name}`{mark} | `{key.default}` | {key.type} | {key.description} |"
            )
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    import argparse  # here: the daemon imports this module and never needs it

    parser = argparse.ArgumentParser(prog="python -m minder.config.schema")
    parser.add_argument("--markdown", action="store_true", help="print docs/configuration.md")
    args = parser.parse_args(argv)
    if args.markdown:
        sys.stdout.write(markdown())
        return 0
    for kind in SECTION_KINDS:
        print(kind.header, ", ".join(k.name for k in kind.keys))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
