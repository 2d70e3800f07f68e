"""minderctl's command line and ``[supervisorctl]`` config, as supervisorctl reads them.

Precedence is supervisorctl's: command-line options, then the config file
(``-c`` or the first file found on supervisorctl's search path), then
built-in defaults. Unlike supervisorctl, ``-r``/``--history-file`` works.
Options stop at the first non-option word, so ``minderctl tail -f web``
passes ``-f`` to the command. ``-s`` may be given several times: ``status``
then asks every server and prints one table with a host column; any other
command refuses (a fleet-wide ``stop`` deserves more than a repeated flag).
"""

from __future__ import annotations

import os
import sys

DEFAULT_SERVERURL = "http://localhost:9001"

USAGE = """\
minderctl -- control the programs run by minderd (or supervisord).

Usage: %s [options] [command [arguments]]

Options:
-c/--configuration FILE  config file to read [supervisorctl] from
                         (searched for like supervisorctl does when absent)
-h/--help                show this message and exit
-i/--interactive         ask before shutdown/reload even with a command
-s/--serverurl URL       daemon address, unix:///path or http://host:port
                         (default "http://localhost:9001")
-u/--username USER       username for the daemon's HTTP authentication
-p/--password PASS       password for the daemon's HTTP authentication
-r/--history-file FILE   keep the interactive shell's readline history here
-v/--version             print minderctl's version and exit

Several -s options make "status" report every server in one table.
Without a command an interactive shell starts (it runs "status" first).
"minderctl help COMMAND" explains a command.

"""

_SHORT_WITH_VALUE = {"c": "configfile", "s": "serverurl", "u": "username",
                     "p": "password", "r": "history_file"}
_LONG = {
    "configuration": "configfile",
    "serverurl": "serverurl",
    "username": "username",
    "password": "password",
    "history_file": "history_file",
    "history-file": "history_file",
}


class UsageError(Exception):
    """Bad command line or config: printed as ``Error: ...`` with exit 2."""


class HelpRequested(Exception):
    """-h / --help: print USAGE and exit 0."""


class VersionRequested(Exception):
    """-v / --version: print minderctl's version and exit 0."""


class CtlOptions:
    """Everything a command needs to know about how to reach the daemon."""

    __slots__ = ("args", "configfile", "history_file", "interactive", "password",
                 "prompt", "serverurl", "serverurls", "username")

    def __init__(self) -> None:
        self.args: list[str] = []
        self.configfile: str | None = None
        self.serverurl = DEFAULT_SERVERURL
        self.serverurls: list[str] = []  # every -s given, when more than one
        self.username: str | None = None
        self.password: str | None = None
        self.prompt = "supervisor"
        self.history_file: str | None = None
        self.interactive = False


def search_paths(argv0: str) -> list[str]:
    """supervisorctl's config search order (relative to argv[0], cwd, /etc)."""
    here = os.path.dirname(os.path.dirname(argv0))
    return [
        os.path.join(here, "etc", "supervisord.conf"),
        os.path.join(here, "supervisord.conf"),
        "supervisord.conf",
        "etc/supervisord.conf",
        "/etc/supervisord.conf",
        "/etc/supervisor/supervisord.conf",
    ]


def check_url(value: str) -> str:
    scheme, sep, rest = value.partition("://")
    if not sep:
        scheme, sep, rest = value.partition(":")
    if scheme and sep and rest.strip("/") and scheme.isascii() and scheme.isalnum():
        return value
    raise ValueError(f"value {value!r} is not a URL")


def _parse_argv(  # noqa: C901 - one branch per supervisorctl option, as getopt reads them
    argv: list[str],
) -> tuple[dict[str, str], bool, list[str], list[str]]:
    """getopt-style: returns (option values, interactive flag, remaining args, every -s)."""
    values: dict[str, str] = {}
    servers: list[str] = []
    interactive = False
    index = 0
    while index < len(argv):
        word = argv[index]
        if word == "--":
            index += 1
            break
        if word.startswith("--"):
            name, eq, value = word[2:].partition("=")
            if name in ("help",):
                raise HelpRequested()
            if name == "version":
                raise VersionRequested()
            if name == "interactive":
                interactive = True
            elif name in _LONG:
                if not eq:
                    index += 1
                    if index >= len(argv):
                        raise UsageError(f"option --{name} requires argument")
                    value = argv[index]
                values[_LONG[name]] = value
                if _LONG[name] == "serverurl":
                    servers.append(value)
            else:
                raise UsageError(f"option --{name} not recognized")
            index += 1
            continue
        if not word.startswith("-") or word == "-":
            break
        letters = word[1:]
        while letters:
            letter, letters = letters[0], letters[1:]
            if letter in "h?":
                raise HelpRequested()
            if letter == "v":
                raise VersionRequested()
            if letter == "i":
                interactive = True
            elif letter in _SHORT_WITH_VALUE:
                if not letters:
                    index += 1
                    if index >= len(argv):
                        raise UsageError(f"option -{letter} requires argument")
                    letters = argv[index]
                values[_SHORT_WITH_VALUE[letter]] = letters
                if letter == "s":
                    servers.append(letters)
                letters = ""
            else:
                raise UsageError(f"option -{letter} not recognized")
        index += 1
    return values, interactive, argv[index:], servers


def _normalize_path(path: str) -> str:
    return os.path.normpath(os.path.abspath(os.path.expanduser(path)))


def _expand(value: str, name: str, expansions: dict[str, str]) -> str:
    try:
        return value % expansions
    except KeyError as exc:
        raise UsageError(
            f"Format string {value!r} for {name!r} contains names ({exc}) "
            "which cannot be expanded"
        ) from None
    except (ValueError, TypeError) as exc:
        raise UsageError(
            f"Format string {value!r} for {name!r} is badly formatted: {exc}"
        ) from None


def apply_config(options: CtlOptions, path: str, environ: dict[str, str]) -> None:
    """Fill ``options`` from the ``[supervisorctl]`` section of ``path``."""
    from minder.ctl.iniread import read_section

    if not os.path.exists(path):
        raise UsageError(f"could not find config file {path}")
    try:
        with open(path, encoding="utf-8", errors="surrogateescape") as handle:
            text = handle.read()
    except OSError:
        raise UsageError(f"could not read config file {path}") from None
    try:
        section = read_section(text, "supervisorctl")
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if section is None:
        raise UsageError(".ini file does not include supervisorctl section")
    env = {f"ENV_{k}": v for k, v in environ.items()}
    with_here = {**env, "here": os.path.dirname(_normalize_path(path))}
    serverurl = _expand(section.get("serverurl", DEFAULT_SERVERURL), "serverurl", with_here)
    if serverurl.startswith("unix://"):
        serverurl = "unix://" + _normalize_path(serverurl[len("unix://") :])
    options.serverurl = serverurl
    if "prompt" in section:
        options.prompt = _expand(section["prompt"], "prompt", env)
    if "username" in section:
        options.username = _expand(section["username"], "username", env)
    if "password" in section:
        options.password = _expand(section["password"], "password", env)
    history = section.get("history_file")
    if history:
        history = _expand(history, "history_file", with_here)
        options.history_file = _normalize_path(history) if history else None


def parse(argv: list[str], environ: dict[str, str] | None = None,
          argv0: str | None = None) -> CtlOptions:
    """Build CtlOptions from the command line and the config it names or finds."""
    environ = dict(os.environ) if environ is None else environ
    values, interactive, args, servers = _parse_argv(argv)
    options = CtlOptions()
    configfile = values.get("configfile")
    if configfile is None:
        for candidate in search_paths(argv0 if argv0 is not None else sys.argv[0]):
            if os.path.exists(candidate):
                configfile = candidate
                break
    if configfile is not None:
        options.configfile = configfile
        apply_config(options, configfile, environ)
    for url in servers:
        try:
            check_url(url)
        except ValueError as exc:
            raise UsageError(f"invalid value for -s {url!r}: {exc}") from None
    servers = list(dict.fromkeys(servers))  # the same server twice is one server
    if servers:
        options.serverurl = servers[0]
    if len(servers) > 1:
        options.serverurls = servers
        if not args or args[0] != "status":
            what = f"'{args[0]}'" if args else "the interactive shell"
            raise UsageError(
                f"{len(servers)} servers given with -s; only 'status' runs on several "
                f"servers, {what} needs exactly one"
            )
    if "username" in values:
        options.username = values["username"]
    if "password" in values:
        options.password = values["password"]
    if "history_file" in values:
        options.history_file = _normalize_path(values["history_file"])
    options.args = args
    options.interactive = interactive or not args
    return options
