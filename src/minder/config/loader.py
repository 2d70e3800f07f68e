"""Load a config: find it, read it and its includes, build the RootSpec.

Reading never stops at the first problem: every section is read and every
diagnostic collected, then errors raise ConfigError with all of them, so one
``minderd --check`` run shows everything that needs fixing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

from minder.config.context import Collector, LoadContext, SectionReader
from minder.config.daemon_section import SECTION as DAEMON_SECTION
from minder.config.daemon_section import read_daemon
from minder.config.diagnostics import ConfigError, Diagnostic
from minder.config.expand import env_names
from minder.config.groups import build_groups
from minder.config.ini import IniDocument
from minder.config.lint import lint
from minder.config.schema import kind_of
from minder.config.servers import (
    check_ctlplugin,
    read_ctl,
    read_inet_server,
    read_rpcinterface,
    read_unix_server,
)
from minder.model.specs import DaemonSpec, HttpServerSpec, RootSpec, RpcInterfaceSpec
from minder.records import record


@record
class LoadResult:
    """A loaded config and the warnings it raised."""

    root: RootSpec
    diagnostics: list[Diagnostic]  # warnings only (errors raise ConfigError)


def search_paths(argv0: str, cwd: str) -> list[str]:
    """supervisord's search order when no ``-c`` is given (reference §1.1)."""
    here = os.path.dirname(os.path.abspath(os.path.join(cwd, argv0)))
    return [
        os.path.join(here, "..", "etc", "supervisord.conf"),
        os.path.join(here, "..", "supervisord.conf"),
        os.path.join(cwd, "supervisord.conf"),
        os.path.join(cwd, "etc", "supervisord.conf"),
        "/etc/supervisord.conf",
        "/etc/supervisor/supervisord.conf",
    ]


def find_config_file(argv0: str, cwd: str) -> str | None:
    for candidate in search_paths(argv0, cwd):
        if os.path.exists(candidate):
            return candidate
    return None


def load(
    path: str | None,
    *,
    environ: Mapping[str, str] | None = None,
    strict: bool = False,
    cwd: str | None = None,
) -> LoadResult:
    environ = dict(os.environ) if environ is None else environ
    cwd = os.getcwd() if cwd is None else cwd
    if path is None:
        path = find_config_file(sys.argv[0], cwd)
        if path is None:
            paths = ", ".join(search_paths(sys.argv[0], cwd))
            raise ConfigError([Diagnostic(
                "error", "-", None, None, None,
                f"No config file found at default paths ({paths})",
                "pass -c /path/to/supervisord.conf",
            )])
    main = os.path.abspath(os.path.join(cwd, path))
    collector = Collector(os.path.dirname(main))
    doc = IniDocument()
    _read_file(doc, collector, main, None)
    # platform.node() is uname's node name; importing platform cost ~1.3 ms of start-up
    ctx = LoadContext(doc, collector, environ, cwd, os.uname().nodename)
    included = _read_includes(ctx, main)
    lint(ctx)

    daemon = DaemonSpec()
    if DAEMON_SECTION in doc.sections:
        daemon = read_daemon(ctx)
    elif not collector.has_errors:
        collector.add("error", main, None, None, None,
                      ".ini file does not include supervisord section",
                      "add a [supervisord] section")
    env = {**env_names(environ), **env_names(dict(daemon.environment))}
    servers: list[HttpServerSpec] = []
    rpcinterfaces: list[RpcInterfaceSpec] = []
    for section in doc.sections:
        kind = kind_of(section)
        if kind is None:
            continue
        if kind.kind == "unix_http_server":
            servers.append(read_unix_server(ctx, section))
        elif kind.kind == "inet_http_server":
            servers.append(read_inet_server(ctx, section))
        elif kind.kind == "rpcinterface":
            rpcinterfaces.append(read_rpcinterface(ctx, section))
        elif kind.kind == "ctlplugin":
            check_ctlplugin(ctx, section)
    groups = build_groups(ctx, env)
    root = RootSpec(
        config_file=main,
        daemon=daemon,
        groups=groups,
        http_servers=tuple(servers),
        ctl=read_ctl(ctx) if "supervisorctl" in doc.sections else None,
        rpcinterfaces=tuple(rpcinterfaces),
        included_files=tuple(included),
    )
    diagnostics = _ordered(collector.diagnostics, [main, *included], collector)
    if strict or daemon.strict:
        diagnostics = [d.as_error() for d in diagnostics]
    if any(d.severity == "error" for d in diagnostics):
        raise ConfigError(diagnostics)
    return LoadResult(root, diagnostics)


def _read_file(doc: IniDocument, out: Collector, path: str, where: tuple[str, int] | None) -> bool:
    file, line = where if where else (path, None)
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except FileNotFoundError:
        out.add("error", file, line, None, None, f"could not find config file {path}")
        return False
    except (OSError, UnicodeDecodeError) as exc:
        out.add("error", file, line, None, None, f"could not read config file {path}: {exc}")
        return False
    doc.read(text, path)
    return True


def _read_includes(ctx: LoadContext, main: str) -> list[str]:
    """``[include] files=``: globs relative to the main file, each read in sorted order."""
    if "include" not in ctx.doc.sections:
        return []
    r = SectionReader(ctx, "include")
    entry = r.entry("files")
    names = {"here": "", "host_node_name": ctx.host_node_name, **env_names(ctx.environ)}
    files = r.text("files", names)
    if entry is None or files is None:
        if entry is None:
            r.error("files", ".ini file has [include] section, but no files setting",
                    "add files = conf.d/*.conf")
        return []
    import glob  # only configs with [include] need it

    base = os.path.dirname(main)
    included: list[str] = []
    for pattern in files.split():
        matches = sorted(glob.glob(os.path.join(base, os.path.expanduser(pattern))))
        if not matches:
            r.warning("files", f'No file matches via include "{pattern}"',
                      "fix the pattern or remove it")
        for match in matches:
            if _read_file(ctx.doc, ctx.collector, match, (entry.file, entry.line)):
                included.append(match)
    for key, later in ctx.doc.sections["include"].entries.items():
        if later.file != main:
            ctx.collector.add(
                "warning", later.file, later.line, "include", key,
                "[include] in an included file is not processed",
                "move the pattern to the main file's [include]",
                "supervisord ignores nested includes",
            )
    return included


def _ordered(
    diagnostics: list[Diagnostic], files: list[str], out: Collector
) -> list[Diagnostic]:
    """Deduplicated (numprocs repeats a problem per process), by file then line."""
    order = {out.display(f): i for i, f in enumerate(files)}
    unique = list(dict.fromkeys(diagnostics))
    return sorted(unique, key=lambda d: (order.get(d.file, -1), d.line or 0))
