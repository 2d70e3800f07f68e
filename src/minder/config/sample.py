"""``minderd --sample-config``: echo_supervisord_conf's job, written from the schema.

The active lines make a config that runs as it is (a unix socket, the
activity log and pidfile in /tmp, the XML-RPC interface, a client section);
every other key of every section is listed commented out with its default
and meaning, so the file doubles as a reference. Keys that only minder
understands are commented *and* marked, so the file stays a config that
supervisord 4.3 reads too. Because the text is built from ``schema``, a new
key shows up here, in docs/configuration.md and in minder.conf(5) at once.
"""

from __future__ import annotations

from minder.config.schema import KINDS, Key

# The lines that are switched on, per section: key -> value.
ACTIVE: dict[str, dict[str, str]] = {
    "unix_http_server": {"file": "/tmp/supervisor.sock", "chmod": "0700"},
    "supervisord": {
        "logfile": "/tmp/supervisord.log",
        "pidfile": "/tmp/supervisord.pid",
        "loglevel": "info",
        "nodaemon": "false",
    },
    "supervisorctl": {"serverurl": "unix:///tmp/supervisor.sock"},
}

# The sections written, in echo_supervisord_conf's order, with the header used.
SECTIONS: tuple[tuple[str, str, bool], ...] = (  # (kind, header, active)
    ("unix_http_server", "[unix_http_server]", True),
    ("inet_http_server", "[inet_http_server]", False),
    ("supervisord", "[supervisord]", True),
    ("rpcinterface", "[rpcinterface:supervisor]", True),
    ("supervisorctl", "[supervisorctl]", True),
    ("program", "[program:theprogramname]", False),
    ("eventlistener", "[eventlistener:theeventlistenername]", False),
    ("group", "[group:thegroupname]", False),
    ("include", "[include]", False),
)

_EXAMPLES = {  # values for keys a commented section must show filled in
    "command": "/bin/cat",
    "port": "127.0.0.1:9001",
    "username": "user",
    "password": "123",
    "events": "PROCESS_STATE",
    "programs": "progname1,progname2",
    "files": "relative/directory/*.ini",
}


def _line(key: Key, value: str, active: bool) -> str:
    note = f"{key.description} Default {key.default}."
    if key.minder:
        note = f"(minder only; supervisord ignores it) {note}"
    prefix = "" if active else ";"
    return f"{prefix}{key.name}={value}".ljust(36) + f" ; {note}"


def sample_config() -> str:
    out = [
        "; Sample minder configuration, written by `minderd --sample-config`.",
        "; It is also a valid supervisord 4.3 configuration: lines starting with ';'",
        "; are comments; keys marked '(minder only)' are minder extensions.",
        "; Every key is explained in docs/configuration.md and in minder.conf(5).",
        "; Check a config with: minderd --check -c FILE",
    ]
    for kind_name, header, active in SECTIONS:
        kind = KINDS[kind_name]
        out += ["", f"; {kind.description}", header if active else f";{header}"]
        if kind_name == "rpcinterface":
            out.append(
                "supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface"
            )
            continue
        switched_on = ACTIVE.get(kind_name, {}) if active else {}
        for key in kind.keys:
            if key.name in switched_on:
                out.append(_line(key, switched_on[key.name], True))
                continue
            value = _EXAMPLES.get(key.name, key.default)
            if value.startswith("("):
                value = ""
            out.append(_line(key, value, False))
    return "\n".join(out) + "\n"
