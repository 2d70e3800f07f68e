"""``[program:x]``, ``[fcgi-program:x]`` and ``[eventlistener:x]`` → ProcessSpecs.

A section yields ``numprocs`` processes. Keys are split as supervisord splits
them (reference §1.13): "static" keys are read once without ``process_num``;
per-process keys are re-read for every process with ``process_num``,
``numprocs`` and the section's own ``environment=`` available as ``ENV_*``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from minder.config import values
from minder.config.containment_keys import read_program_keys
from minder.config.context import LoadContext, SectionReader
from minder.config.daemon_section import existing_dirpath
from minder.config.diagnostics import ValueProblem
from minder.config.expand import expand
from minder.config.health import read_health, read_resources
from minder.model.specs import AutoRestart, LogSpec, ProcessSpec

DEFAULT_PROCESS_NAME = "%(program_name)s"
_MB = 1024 * 1024
_LISTENER_STDOUT_KEYS = ("stdout_capture_maxbytes", "stdout_events_enabled", "stdout_syslog")


def static_names(
    ctx: LoadContext, program: str, group_name: str, env: Mapping[str, str | int]
) -> dict[str, str | int]:
    return {
        "here": "",
        "program_name": program,
        "group_name": group_name,
        "host_node_name": ctx.host_node_name,
        **env,
    }


def read_processes(
    ctx: LoadContext, section: str, group_name: str, env: Mapping[str, str | int]
) -> tuple[ProcessSpec, ...]:
    """Every process of one section; ``env`` is ENV_* of the daemon's environment."""
    r = SectionReader(ctx, section)
    kind, _, program = section.partition(":")
    listener = kind == "eventlistener"
    static = static_names(ctx, program, group_name, env)

    if not r.has("command"):
        r.error("command", "program section does not specify a command",
                "add command=/path/to/program --its --arguments")
    numprocs = r.get("numprocs", _numprocs, 1, static)
    numprocs_start = r.get("numprocs_start", lambda t: values.bounded_integer(t, 0), 0, static)
    template, template_ok = _process_name_template(r, numprocs)
    if not template_ok:
        numprocs = 1  # reported; one process avoids follow-on duplicate-name errors

    stopasgroup = r.get("stopasgroup", values.boolean, False, static)
    killasgroup = r.get("killasgroup", values.boolean, stopasgroup, static)
    if stopasgroup and not killasgroup:
        r.error("killasgroup", "Cannot set stopasgroup=true and killasgroup=false",
                "remove killasgroup; stopasgroup implies it")
    redirect_stderr = r.get("redirect_stderr", values.boolean, False, static)
    if listener and redirect_stderr:
        r.error("redirect_stderr",
                "redirect_stderr=true is not allowed because it "
                "will interfere with the eventlistener protocol",
                "remove redirect_stderr")
    if redirect_stderr and r.has("stderr_logfile"):
        r.warning("stderr_logfile", "stderr_logfile is ignored because redirect_stderr=true",
                  "remove stderr_logfile, or set redirect_stderr=false")
    if listener:
        for key in _LISTENER_STDOUT_KEYS:
            if r.has(key) and r.entry(key) is not ctx.doc.get("DEFAULT", key):
                r.warning(key, f"{key} is ignored for an eventlistener",
                          f"remove {key}", "stdout is the event protocol channel")
    who = r.get("user", values.user, None, static)
    serverurl = r.text("serverurl", static)
    no_names: list[str] = []
    depends_on = tuple(
        name for name in r.get("depends_on", values.list_of_strings, no_names, static) if name
    )
    no_codes: tuple[int, ...] = (0,)
    contained = read_program_keys(r, static)
    # every process's fields but its own (one ProcessSpec per process, no replace())
    base: dict[str, Any] = dict(
        program_name=program,
        numprocs=numprocs,
        umask=r.get("umask", values.octal, None, static),
        # an eventlistener's priority= defaults to -1 for the pool (its group)
        # but a listener process keeps 999, as in supervisord
        priority=r.get("priority", values.integer, 999, static),
        autostart=r.get("autostart", values.boolean, True, static),
        autorestart=r.get("autorestart", values.auto_restart, AutoRestart.UNEXPECTED, static),
        startsecs=r.get("startsecs", values.integer, 1, static),
        startretries=r.get("startretries", values.integer, 3, static),
        exitcodes=r.get("exitcodes", values.exit_codes, no_codes, static),
        stopsignal=r.get("stopsignal", values.signal_number, 15, static),
        stopwaitsecs=r.get("stopwaitsecs", values.integer, 10, static),
        stopasgroup=stopasgroup,
        killasgroup=killasgroup,
        user=who.name if who else None,
        uid=who.uid if who else None,
        gid=who.gid if who else None,
        redirect_stderr=redirect_stderr,
        serverurl=None if serverurl is None or serverurl.upper() == "AUTO" else serverurl,
        depends_on=depends_on,
        pacing=contained.pacing,
        killdescendants=contained.killdescendants,
        essential=contained.essential,
        resources=read_resources(r, static),
        source=r.provenance,
    )
    capture = {
        c: (
            0 if listener and c == "stdout"
            else r.get(f"{c}_capture_maxbytes", values.byte_size, 0, static),
            False if listener and c == "stdout"
            else r.get(f"{c}_events_enabled", values.boolean, False, static),
        )
        for c in ("stdout", "stderr")
    }

    processes: list[ProcessSpec] = []
    for num in range(numprocs_start, numprocs_start + numprocs):
        names: dict[str, str | int] = {**static, "process_num": num, "numprocs": numprocs}
        no_env: tuple[tuple[str, str], ...] = ()
        environment = r.get("environment", values.environment, no_env, names)
        names.update({f"ENV_{key}": value for key, value in environment})
        name = _expand_name(r, template, names)
        stdout = _read_log(ctx, r, "stdout", names, *capture["stdout"], listener=listener)
        stderr = (
            LogSpec(path=None, auto=False)
            if redirect_stderr
            else _read_log(ctx, r, "stderr", names, *capture["stderr"], listener=False)
        )
        processes.append(ProcessSpec(
            **base,
            name=name,
            command=r.text("command", names, "") or "",
            process_num=num,
            directory=r.text("directory", names),
            stdout=stdout,
            stderr=stderr,
            environment=environment,
            # per process, so ready_check=tcp://127.0.0.1:%(process_num)d works
            health=read_health(r, names),
        ))
    return tuple(processes)


def _process_name_template(r: SectionReader, numprocs: int) -> tuple[str, bool]:
    template = r.raw("process_name") or DEFAULT_PROCESS_NAME
    try:
        template = values.process_or_group_name(template)
    except ValueProblem as problem:
        r.error_at(r.entry("process_name"), "process_name", problem)
        return template, False
    if numprocs > 1 and "%(process_num)" not in template:
        r.error(
            "process_name" if r.has("process_name") else "numprocs",
            "%(process_num) must be present within process_name when numprocs > 1",
            "e.g. process_name=%(program_name)s_%(process_num)02d",
        )
        return template, False
    return template, True


def _expand_name(r: SectionReader, template: str, names: dict[str, str | int]) -> str:
    entry = r.entry("process_name")
    try:
        name = expand(template, r.names_for(entry, names), f"{r.section}.process_name")
        # supervisord checks only the template; an expansion can still add ':' or '/'
        return values.process_or_group_name(name)
    except ValueProblem as problem:
        r.error_at(entry, "process_name", problem)
        return template


def _read_log(
    ctx: LoadContext, r: SectionReader, channel: str, names: dict[str, str | int],
    capture_maxbytes: int, events_enabled: bool, *, listener: bool,
) -> LogSpec:
    key = f"{channel}_logfile"
    text = r.text(key, names, "AUTO") or "AUTO"
    maxbytes = r.get(f"{key}_maxbytes", values.byte_size, 50 * _MB, names)
    backups = r.get(f"{key}_backups", values.integer, 10, names)
    syslog = (
        False if listener
        else r.get(f"{channel}_syslog", values.boolean, False, names)
    )
    common: dict[str, Any] = dict(maxbytes=maxbytes, backups=backups,
                                  capture_maxbytes=capture_maxbytes, events_enabled=events_enabled)
    lowered = text.lower()
    if lowered == "auto":
        if maxbytes == 0:
            r.warning(f"{key}_maxbytes",
                      f"For [{r.section}], AUTO logging used for {key} without rollover, "
                      "set maxbytes > 0 to avoid filling up filesystem unintentionally",
                      f"set {key}_maxbytes=50MB or name a {key}")
        return LogSpec(path=None, auto=True, syslog=syslog, **common)
    if lowered in ("none", "off"):
        return LogSpec(path=None, auto=False, syslog=syslog, **common)
    if lowered == "syslog":
        r.warning(key, f"{key}=syslog is deprecated", f"use {channel}_syslog=true instead")
        return LogSpec(path=None, auto=False, syslog=True, **common)
    try:
        path = existing_dirpath(ctx, text)
    except ValueProblem as problem:
        r.error_at(r.entry(key), key, problem)
        path = os.path.abspath(text)
    return LogSpec(path=path, auto=False, syslog=syslog, **common)


MAX_NUMPROCS = 10_000


def _numprocs(text: str) -> int:
    """1..MAX_NUMPROCS: a million processes is a typo that takes minutes and GBs to expand."""
    value = values.bounded_integer(text, 1)
    if value > MAX_NUMPROCS:
        raise ValueProblem(
            f"numprocs={value} is more than {MAX_NUMPROCS} processes in one section",
            f"check for a typo; at most {MAX_NUMPROCS} processes per section",
        )
    return value
