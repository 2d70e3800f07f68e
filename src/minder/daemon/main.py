"""``minderd``: the composition root (argv → config → daemon run).

Errors before the logger exists are printed as supervisord prints them,
``Error: <message>`` plus ``For help, use <argv0> -h`` on stderr, exit 2.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from minder.config import ConfigError, load
from minder.config.check import run_check
from minder.daemon.runner import Daemon, DaemonRun, StartupError
from minder.model.specs import DaemonSpec, RootSpec

VERSION = "4.3.0"


@dataclass
class Options:
    configfile: str | None = None
    check: bool = False
    strict: bool = False
    overrides: dict[str, object] | None = None


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(message)


def parse_args(argv: Sequence[str]) -> Options:
    p = _Parser(prog="minderd", add_help=False)
    p.add_argument("-c", "--configuration", dest="configfile")
    p.add_argument("-n", "--nodaemon", action="store_true", default=None)
    p.add_argument("-s", "--silent", action="store_true", default=None)
    p.add_argument("-k", "--nocleanup", action="store_true", default=None)
    p.add_argument("-t", "--strip_ansi", action="store_true", default=None)
    p.add_argument("-l", "--logfile")
    p.add_argument("-e", "--loglevel")
    p.add_argument("-j", "--pidfile")
    p.add_argument("-i", "--identifier")
    p.add_argument("-q", "--childlogdir")
    p.add_argument("-y", "--logfile_maxbytes", type=int)
    p.add_argument("-z", "--logfile_backups", type=int)
    p.add_argument("--check", action="store_true")
    p.add_argument("--strict", action="store_true")
    p.add_argument("-v", "--version", action="store_true")
    p.add_argument("-h", "--help", action="store_true")
    args, extra = p.parse_known_args(list(argv))
    if extra:
        bad = [a for a in extra if a.startswith("-")]
        if bad:
            raise UsageError(f"option {bad[0]} not recognized")
        raise UsageError(f"positional arguments are not supported: {extra}")
    if args.version:
        print(VERSION)
        raise SystemExit(0)
    if args.help:
        print(__doc__)
        raise SystemExit(0)
    overrides = {
        key: value
        for key in (
            "nodaemon",
            "silent",
            "nocleanup",
            "strip_ansi",
            "logfile",
            "loglevel",
            "pidfile",
            "identifier",
            "childlogdir",
            "logfile_maxbytes",
            "logfile_backups",
        )
        if (value := getattr(args, key)) is not None
    }
    if "logfile" in overrides:
        overrides["logfile"] = os.path.abspath(str(overrides["logfile"]))
    return Options(args.configfile, args.check, args.strict, overrides)


def _usage_error(message: str) -> int:
    print(f"Error: {message}\nFor help, use {sys.argv[0]} -h", file=sys.stderr)
    return 2


def _loader(opts: Options) -> Callable[[], tuple[RootSpec, list[str]]]:
    cwd = os.getcwd()

    def load_root() -> tuple[RootSpec, list[str]]:
        result = load(opts.configfile, strict=opts.strict, cwd=cwd)
        daemon: DaemonSpec = replace(result.root.daemon, **(opts.overrides or {}))  # type: ignore[arg-type]
        return replace(result.root, daemon=daemon), [str(d) for d in result.diagnostics]

    return load_root


def main(argv: Sequence[str] | None = None) -> int:
    try:
        opts = parse_args(sys.argv[1:] if argv is None else argv)
    except UsageError as exc:
        return _usage_error(str(exc))
    if opts.check:
        return run_check(opts.configfile, strict=opts.strict, out=sys.stdout)
    load_root = _loader(opts)
    try:
        root, warnings = load_root()
    except ConfigError as exc:
        return _usage_error(str(exc))
    run = DaemonRun(root=root, load_config=lambda: load_root()[0], warnings=warnings)
    try:
        return asyncio.run(Daemon(run).run())
    except StartupError as exc:
        return _usage_error(str(exc))


if __name__ == "__main__":
    raise SystemExit(main())
