"""``[supervisord]`` → DaemonSpec (reference §1.3)."""

from __future__ import annotations

import os
from collections.abc import Callable

from minder.config import values
from minder.config.containment_keys import read_daemon_keys
from minder.config.context import LoadContext, SectionReader
from minder.config.diagnostics import ValueProblem
from minder.config.expand import env_names
from minder.model.specs import DaemonSpec

SECTION = "supervisord"


def _default_childlogdir() -> str:
    """supervisord's default, the temporary directory; tempfile only when it is needed.

    Importing tempfile brings shutil, bz2 and lzma (~4 ms of a start-up), and
    a config that names its childlogdir never needs it.
    """
    import tempfile

    return tempfile.gettempdir()


def existing_dirpath(ctx: LoadContext, text: str, *, normalize: bool = False) -> str:
    """An absolute path whose directory exists now (log files, pidfile)."""
    path = ctx.normalized(text) if normalize else ctx.absolute(text)
    if not os.path.isdir(os.path.dirname(path)):
        raise ValueProblem(
            f"The directory named as part of the path {path} does not exist",
            "create the directory or fix the path",
        )
    return path


def existing_directory(ctx: LoadContext, text: str) -> str:
    path = ctx.absolute(text)
    if not os.path.isdir(path):
        raise ValueProblem(f"{path} is not an existing directory", "create it or fix the path")
    return path


def read_daemon(ctx: LoadContext) -> DaemonSpec:
    r = SectionReader(ctx, SECTION)
    env = env_names(ctx.environ)
    names = {"here": "", **env}
    env_value_names = {"here": "", "host_node_name": ctx.host_node_name, **env}
    d = DaemonSpec()

    logfile_text = r.text("logfile", names, d.logfile) or d.logfile
    logfile = (
        "syslog" if logfile_text == "syslog"
        else _path(r, "logfile", logfile_text, lambda t: existing_dirpath(ctx, t, normalize=True))
    )
    pidfile = _path(r, "pidfile", r.text("pidfile", names, d.pidfile) or d.pidfile,
                    lambda t: existing_dirpath(ctx, t, normalize=True))
    childlogdir_text = r.text("childlogdir", names)
    childlogdir = (
        _path(r, "childlogdir", childlogdir_text, lambda t: existing_directory(ctx, t))
        if childlogdir_text is not None else _default_childlogdir()
    )
    directory_text = r.text("directory", names)
    directory = (
        _path(r, "directory", directory_text, lambda t: existing_directory(ctx, t))
        if directory_text is not None else None
    )
    who = r.get("user", values.user, None, names)
    contained = read_daemon_keys(r, names)
    return DaemonSpec(
        logfile=logfile,
        logfile_maxbytes=r.get("logfile_maxbytes", values.byte_size, d.logfile_maxbytes, names),
        logfile_backups=r.get("logfile_backups", values.integer, d.logfile_backups, names),
        loglevel=r.get("loglevel", values.log_level, d.loglevel, names),
        pidfile=pidfile,
        umask=r.get("umask", values.octal, d.umask, names),
        nodaemon=r.get("nodaemon", values.boolean, d.nodaemon, names),
        silent=r.get("silent", values.boolean, d.silent, names),
        minfds=r.get("minfds", values.integer, d.minfds, names),
        minprocs=r.get("minprocs", values.integer, d.minprocs, names),
        nocleanup=r.get("nocleanup", values.boolean, d.nocleanup, names),
        childlogdir=childlogdir,
        user=who.name if who else None,
        uid=who.uid if who else None,
        gid=who.gid if who else None,
        directory=directory,
        strip_ansi=r.get("strip_ansi", values.boolean, d.strip_ansi, names),
        environment=r.get("environment", values.environment, (), env_value_names),
        identifier=r.get("identifier", _identifier, d.identifier, names) or d.identifier,
        strict=r.get("strict", values.boolean, False, names),
        containment=contained.containment,
        container=contained.container,
        childlogs_to_stdout=contained.childlogs_to_stdout,
        shutdown_timeout=contained.shutdown_timeout,
        logformat=r.get("logformat", log_format, d.logformat, names),
    )


LOG_FORMATS = ("text", "json")


def log_format(text: str) -> str:
    value = text.strip().lower()
    if value not in LOG_FORMATS:
        raise ValueProblem(f"{text!r} is not a log format", "use text or json")
    return value


def _path(r: SectionReader, key: str, text: str, check: Callable[[str], str]) -> str:
    try:
        return check(text)
    except ValueProblem as problem:
        r.error_at(r.entry(key), key, problem)
        return text


def _identifier(text: str) -> str:
    """The identifier names AUTO log files (``<prog>-stdout---<identifier>-…``)."""
    for char in ("/", "\0"):
        if char in text:
            raise ValueProblem(
                f"identifier {text!r} contains {char!r}, which cannot be part of the AUTO "
                "log file names built from it (the daemon could not start)",
                "use letters, digits, '-', '_' or '.'",
            )
    return text
