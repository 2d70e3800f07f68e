"""``minderd``'s command line, accepted and refused exactly as supervisord's is.

Scripts and init files written for supervisord pass the same flags, so the
parser is getopt-style like supervisord's (``-cFILE``, unique prefixes of
long options such as ``--vers``) and its errors read the same:
``Error: option --bogus not recognized`` / ``For help, use minderd -h``,
exit 2. A flag given twice is a conflict, positional arguments are refused.
Values are converted by config.values, the same converters the config file
uses, so ``-e warning`` fails just as ``loglevel=warning`` does.

Command-line values beat the config file (``apply_to_spec``); flags can
only switch a setting on.
"""

from __future__ import annotations

import getopt
import os
import sys
from collections.abc import Callable
from dataclasses import fields, replace
from typing import Any

from minder import API_VERSION, SUPERVISOR_COMPAT_VERSION, __version__
from minder.config import values
from minder.config.diagnostics import ValueProblem
from minder.model.specs import DaemonSpec
from minder.records import record


class UsageError(Exception):
    """A command-line mistake; ``render()`` is what minderd prints before exit 2."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def render(self, prog: str = "minderd") -> str:
        return f"Error: {self.message}\nFor help, use {prog} -h\n"


@record
class DaemonOptions:
    """What the command line said; None/False means "not given, use the config"."""

    configuration: str | None = None
    nodaemon: bool = False
    silent: bool = False
    user: str | None = None
    umask: int | None = None
    directory: str | None = None
    logfile: str | None = None
    logfile_maxbytes: int | None = None
    logfile_backups: int | None = None
    loglevel: str | None = None
    pidfile: str | None = None
    identifier: str | None = None
    childlogdir: str | None = None
    nocleanup: bool = False
    minfds: int | None = None
    minprocs: int | None = None
    strip_ansi: bool = False
    profile_options: str | None = None  # accepted for compatibility; not implemented
    check: bool = False  # minder: validate the config and exit
    strict: bool = False  # minder: config warnings are errors
    container: bool = False  # minder: act as a container's init (implied when PID 1)
    show_help: bool = False
    show_version: bool = False
    verbose: bool = False  # minder: --version --verbose names minder's own version
    sample_config: bool = False  # minder: print a commented sample config and exit


def _absolute_in_existing_dir(text: str) -> str:
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isdir(os.path.dirname(path)):
        raise ValueProblem(f"The directory named as part of the path {path} does not exist")
    return path


def _logfile(text: str) -> str:
    return "syslog" if text == "syslog" else _absolute_in_existing_dir(text)


def _existing_directory(text: str) -> str:
    path = os.path.abspath(os.path.expanduser(text))
    if not os.path.isdir(path):
        raise ValueProblem(f"{path} is not an existing directory")
    return path


def _text(text: str) -> str:
    return text


# (short, long, field, converter); converter None means a flag without a value.
_OPTIONS: tuple[tuple[str, str, str, Callable[[str], Any] | None], ...] = (
    ("c", "configuration", "configuration", _text),
    ("n", "nodaemon", "nodaemon", None),
    ("s", "silent", "silent", None),
    ("h", "help", "show_help", None),
    ("?", "", "show_help", None),
    ("v", "version", "show_version", None),
    ("u", "user", "user", _text),
    ("m", "umask", "umask", values.octal),
    ("d", "directory", "directory", _existing_directory),
    ("l", "logfile", "logfile", _logfile),
    ("y", "logfile_maxbytes", "logfile_maxbytes", values.byte_size),
    ("z", "logfile_backups", "logfile_backups", values.integer),
    ("e", "loglevel", "loglevel", values.log_level),
    ("j", "pidfile", "pidfile", _absolute_in_existing_dir),
    ("i", "identifier", "identifier", _text),
    ("q", "childlogdir", "childlogdir", _existing_directory),
    ("k", "nocleanup", "nocleanup", None),
    ("a", "minfds", "minfds", values.integer),
    ("", "minprocs", "minprocs", values.integer),
    ("t", "strip_ansi", "strip_ansi", None),
    ("", "profile_options", "profile_options", _text),
    ("", "check", "check", None),
    ("", "strict", "strict", None),
    ("", "container", "container", None),
    ("", "verbose", "verbose", None),
    ("", "sample-config", "sample_config", None),
)

_SHORT = "".join(s + (":" if conv else "") for s, _l, _f, conv in _OPTIONS if s)
_LONG = [long + ("=" if conv else "") for _s, long, _f, conv in _OPTIONS if long]
_BY_FLAG: dict[str, tuple[str, Callable[[str], Any] | None]] = {}
for _short, _long, _field, _conv in _OPTIONS:
    if _short:
        _BY_FLAG[f"-{_short}"] = (_field, _conv)
    if _long:
        _BY_FLAG[f"--{_long}"] = (_field, _conv)


def parse_args(argv: list[str]) -> DaemonOptions:
    """Parse minderd's arguments (without argv[0]); raises UsageError."""
    try:
        pairs, positional = getopt.getopt(argv, _SHORT, _LONG)
    except getopt.GetoptError as exc:
        raise UsageError(exc.msg) from None
    if positional:
        raise UsageError(f"positional arguments are not supported: {positional!r}")
    given: dict[str, Any] = {}
    for flag, raw in pairs:
        field_name, convert = _BY_FLAG[flag]
        if field_name in given:
            raise UsageError(f"conflicting command line option {flag!r}")
        if convert is None:
            given[field_name] = True
            continue
        try:
            given[field_name] = convert(raw)
        except ValueProblem as problem:
            raise UsageError(f"invalid value for {flag} {raw!r}: {problem.message}") from None
    if given.get("verbose") and not given.get("show_version"):
        raise UsageError("--verbose only goes with --version")
    return DaemonOptions(**given)


# DaemonSpec fields a command-line value replaces when given.
_OVERLAID = tuple(
    f.name
    for f in fields(DaemonOptions)
    if f.name in {spec_field.name for spec_field in fields(DaemonSpec)}
    and f.name not in {"user", "strict"}
)


def apply_to_spec(spec: DaemonSpec, options: DaemonOptions) -> DaemonSpec:
    """The config's [supervisord] with the command line on top (command line wins).

    ``-u`` is resolved to uid/gid here; an unknown user raises UsageError
    (``Invalid user name nosuchuser``), as supervisord reports it.
    """
    changes: dict[str, Any] = {}
    for name in _OVERLAID:
        value = getattr(options, name)
        if value is None or value is False:
            continue
        changes[name] = value
    if options.strict:
        changes["strict"] = True
    if options.user is not None:
        try:
            who = values.user(options.user)
        except ValueProblem as problem:
            raise UsageError(problem.message) from None
        changes.update(user=who.name, uid=who.uid, gid=who.gid)
    return replace(spec, **changes) if changes else spec


def usage_text(prog: str = "minderd") -> str:
    """The ``-h`` text: supervisord's options plus minder's own."""
    return f"""\
minderd -- run a set of programs as daemons (a supervisord-compatible supervisor).

Usage: {prog} [options]

Options:
-c/--configuration FILENAME -- configuration file (searched for if not given)
-n/--nodaemon -- run in the foreground (like 'nodaemon=true' in the config)
-s/--silent -- with -n, don't copy the log to stdout (like 'silent=true')
-h/--help -- print this message and exit
-v/--version -- print the supervisord version minderd is compatible with and exit
--version --verbose -- also print minder's own version, Python's and the libraries'
--sample-config -- print a sample configuration (minder's extra keys commented) and exit
-u/--user USER -- switch to this user (name or numeric uid) at start
-m/--umask UMASK -- umask of the daemon and its children (octal; default 022)
-d/--directory DIRECTORY -- directory to change to when daemonizing
-l/--logfile FILENAME -- activity log path, or 'syslog'
-y/--logfile_maxbytes BYTES -- rotate the activity log at this size (e.g. 50MB)
-z/--logfile_backups NUM -- rotated activity logs to keep
-e/--loglevel LEVEL -- critical, error, warn, info, debug, trace or blather
-j/--pidfile FILENAME -- where to write the daemon's pid
-i/--identifier STR -- this instance's identifier (RPC, events, AUTO log names)
-q/--childlogdir DIRECTORY -- directory for AUTO child logs
-k/--nocleanup -- keep old AUTO child logs at start
-a/--minfds NUM -- raise the open-files limit to at least NUM, or refuse to start
--minprocs NUM -- raise the process limit to at least NUM, or refuse to start
-t/--strip_ansi -- strip ANSI escape sequences from child output
--profile_options OPTIONS -- accepted for compatibility, ignored
--check -- validate the configuration, print the findings and exit
--strict -- treat configuration warnings as errors
--container -- act as a container's init (as when PID 1): stay in the foreground,
               reap every orphan, bound the shutdown, forward SIGUSR1 to programs
"""


def version_text(verbose: bool = False) -> str:
    """``-v`` prints the supervisord release minderd mirrors, as scripts expect.

    ``--version --verbose`` keeps that first line (a script that reads one line
    still works) and adds minder's own version and what it runs on.
    """
    if not verbose:
        return f"{SUPERVISOR_COMPAT_VERSION}\n"
    import platform
    from importlib.metadata import PackageNotFoundError, version

    libraries = []
    for name in ("aiohttp", "psutil"):
        try:
            libraries.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            libraries.append(f"{name} (not installed)")
    return (
        f"{SUPERVISOR_COMPAT_VERSION}\n"
        f"minder {__version__} (supervisord {SUPERVISOR_COMPAT_VERSION} compatible, "
        f"XML-RPC API {API_VERSION})\n"
        f"Python {platform.python_version()} ({sys.executable}), {', '.join(libraries)}\n"
    )
