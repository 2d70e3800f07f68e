"""``minderd``: the composition root (argv → config → privileges → daemon run).

The start-up order is supervisord's: parse (errors → exit 2 before anything
else happens), switch user, raise rlimits, detach, then the async run
creates the log, groups and servers and claims the pidfile. Errors before
the logger exists are printed as supervisord prints them, ``Error: <message>``
plus ``For help, use <argv0> -h`` on stderr, exit 2. Detaching happens before
the event loop starts (fork is only safe with one thread), and the
launching shell waits until the daemon says it is ready.
"""

from __future__ import annotations

import gc

# No cyclic collection while the daemon's modules load, nor (main()) until its
# first start burst is spawned: what they create lives as long as the daemon,
# and the ~50 collections that ran before the first spawn walked it again and
# again (CPU to the first of 500 spawns 188 -> 165 ms for the imports and the
# config, median of 7 alternated runs). Importing leaves the collector as it
# was found; main() turns it back on when it returns or, through DaemonRun,
# once the first start burst is spawned.
_COLLECTING = gc.isenabled()
gc.disable()

import asyncio
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from dataclasses import replace

from minder.config import ConfigError, load
from minder.config.check import run_check
from minder.daemon.cli import (
    DaemonOptions,
    UsageError,
    apply_to_spec,
    parse_args,
    usage_text,
    version_text,
)
from minder.daemon.container import is_container
from minder.daemon.daemonize import daemonize
from minder.daemon.pidfile import describe_owner, read_pid
from minder.daemon.privileges import PrivilegeError, drop_privileges, root_warning
from minder.daemon.rlimits import RlimitError, raise_limits
from minder.daemon.runner import Daemon, DaemonRun, StartupError
from minder.model.specs import RootSpec

if _COLLECTING:
    gc.enable()


def _error(message: str) -> int:
    print(f"Error: {message}\nFor help, use {sys.argv[0]} -h", file=sys.stderr)
    return 2


def _load(opts: DaemonOptions, cwd: str) -> tuple[RootSpec, list[str]]:
    """The config with the command line on top, plus its warnings (as text)."""
    result = load(opts.configuration, strict=opts.strict, cwd=cwd)
    daemon = apply_to_spec(result.root.daemon, opts)
    if is_container(daemon):  # a container's init stays in the foreground
        daemon = replace(daemon, nodaemon=True)
    root = replace(result.root, daemon=daemon)
    return root, [str(d) for d in result.diagnostics]


# Standard-library modules that are imported on first use inside other modules.
LAZY_STDLIB = [
    "importlib.readers", "importlib.resources.readers", "encodings.idna", "secrets",
    "ctypes",  # the subreaper prctl, after daemonizing (the flag is not inherited by fork)
    # kept out of the start-up (tests/unit/daemon/test_startup_imports.py), used later
    "difflib", "glob", "urllib.parse", "ipaddress", "tempfile", "shutil",
    "datetime", "decimal", "mimetypes",
]


def _preload_modules() -> None:
    """Import every daemon-side module while we can still read them all.

    After ``user=`` the interpreter's own files may be unreadable (a Python
    under /root, say), and lazily imported modules (the web UI, parts of the
    standard library they use) would then fail at first use.
    """
    import pkgutil

    import minder

    names = [m.name for m in pkgutil.walk_packages(minder.__path__, "minder.")]
    names += LAZY_STDLIB
    for name in names:
        if name.startswith(("minder.ctl", "minder.config.check")) or name.endswith("__main__"):
            continue
        with contextlib.suppress(Exception):
            importlib.import_module(name)


def _refuse_live_pidfile(path: str) -> None:
    """A live supervisor owning the pidfile stops us before we detach."""
    pid = read_pid(path)
    if pid is not None and pid != os.getpid():
        owner = describe_owner(pid)
        if owner is not None:
            raise StartupError(
                f"pidfile {path} belongs to a running {owner}; stop it first, "
                "or give this daemon another pidfile (-j or pidfile=)"
            )


def _containment_preview(opts: DaemonOptions) -> str:
    """``--check`` also says how this machine would contain the programs (issue 14)."""
    from minder.engine.containment import preview

    try:
        root, _ = _load(opts, os.getcwd())
    except (ConfigError, UsageError):
        return "containment: unknown (the config cannot be loaded)"
    return preview(root.daemon.containment)


def main(argv: Sequence[str] | None = None) -> int:
    """``minderd``; the collector stays paused until the first start burst is spawned."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _main(argv, resume_collection=collecting)
    finally:
        if collecting:  # an early exit (an error, --version), or the daemon's end
            gc.enable()


def _main(argv: Sequence[str] | None, *, resume_collection: bool) -> int:  # noqa: C901 - the composition root: each exit path of start-up in order
    try:
        opts = parse_args(list(sys.argv[1:] if argv is None else argv))
    except UsageError as exc:
        sys.stderr.write(exc.render(sys.argv[0]))
        return 2
    if opts.show_help:
        print(usage_text(os.path.basename(sys.argv[0]) or "minderd"))
        return 0
    if opts.show_version:
        sys.stdout.write(version_text(opts.verbose))
        return 0
    if opts.sample_config:
        from minder.config.sample import sample_config

        sys.stdout.write(sample_config())
        return 0
    if opts.check:
        code = run_check(opts.configuration, strict=opts.strict, out=sys.stdout)
        if code != 2:
            print(_containment_preview(opts))
        return code
    cwd = os.getcwd()
    if opts.configuration is None and os.geteuid() == 0:
        print(
            "minderd: running as root and searching for its configuration file in default "
            "locations (including its current working directory); you probably want to "
            'specify a "-c" argument specifying an absolute path to a configuration file '
            "for improved security.",
            file=sys.stderr,
        )
    try:
        root, warnings = _load(opts, cwd)
    except ConfigError as exc:
        return _error(str(exc))
    except UsageError as exc:
        return _error(exc.message)
    daemon = root.daemon
    notes: list[tuple[str, str]] = [("warn", w) for w in warnings]
    try:
        if daemon.uid is not None:
            if daemon.uid != os.geteuid():
                _preload_modules()
            switched = drop_privileges(daemon.uid, daemon.gid)
            if switched:
                notes.append(("info", switched))
        notes += [("info", line) for line in raise_limits(daemon.minfds, daemon.minprocs)]
        _refuse_live_pidfile(daemon.pidfile)
    except (PrivilegeError, RlimitError, StartupError) as exc:
        return _error(str(exc))
    warning = root_warning(daemon.user)
    if warning:
        notes.insert(0, ("critical", warning))

    def reload_root() -> RootSpec:
        return _load(opts, cwd)[0]

    detached = None
    if not daemon.nodaemon:
        detached = daemonize(daemon.directory, daemon.umask)
        if detached.chdir_error:
            notes.append(("critical", detached.chdir_error))
    run = DaemonRun(
        root=root, load_config=reload_root, notes=notes, detached=detached,
        resume_collection=resume_collection,
    )
    try:
        return asyncio.run(Daemon(run).run())
    except StartupError as exc:
        return _error(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
