"""minder's readiness, liveness and resource keys of a program section.

``ready_check``/``health_check`` (``tcp://HOST:PORT``, ``http://HOST:PORT/PATH``,
``exec:COMMAND`` or ``notify``) with their interval, timeout and limits;
``environment_file``, ``rlimit_*`` and ``memory_limit``. Each key is read
once per section (they are the same for every process of a numprocs
program) and every problem names the file, line, section and key.
"""

from __future__ import annotations

import os
import resource
import shlex
from collections.abc import Mapping

from minder.config import dotenv, values
from minder.config.context import SectionReader
from minder.config.diagnostics import ValueProblem
from minder.model.specs import HealthSpec, ProbeSpec, ResourceSpec

# Every RLIMIT_* this Python knows, by its lower-case key suffix.
RLIMITS: dict[str, int] = {
    name[len("RLIMIT_"):].lower(): getattr(resource, name)
    for name in sorted(dir(resource))
    if name.startswith("RLIMIT_")
}
_UNLIMITED = frozenset({"unlimited", "infinity", "-1"})
PROBE_FORMS = "tcp://HOST:PORT, http://HOST:PORT/PATH, exec:COMMAND or notify"

# Defaults, as the docs state them (Kubernetes' probe defaults for liveness).
READY_INTERVAL = 1.0
READY_TIMEOUT = 1.0
READY_DEADLINE = 60.0
HEALTH_INTERVAL = 10.0
HEALTH_TIMEOUT = 1.0
HEALTH_RETRIES = 3


def seconds(text: str) -> float:
    """A positive number of seconds, decimals allowed (``0.5``)."""
    try:
        value = float(text)
    except ValueError:
        raise ValueProblem(f"not a number of seconds: {text!r}", "write e.g. 5 or 0.5") from None
    if not value > 0 or value != value or value == float("inf"):
        raise ValueProblem(f"{text!r} is not a positive number of seconds", "write e.g. 5")
    return value


def seconds_or_zero(text: str) -> float:
    return 0.0 if text.strip() in ("0", "0.0") else seconds(text)


def probe(text: str) -> ProbeSpec:
    """One probe form; the interval and timeout are filled in by the caller."""
    text = text.strip()
    if text.lower() == "notify":
        return ProbeSpec("notify")
    if text.startswith("exec:"):
        command = text[len("exec:"):].strip()
        try:
            argv = shlex.split(command)
        except ValueError as exc:
            raise ValueProblem(f"can't parse the command: {exc}", "check its quotes") from None
        if not argv:
            raise ValueProblem("exec: needs a command", "e.g. exec:/usr/bin/pg_isready -q")
        return ProbeSpec("exec", target=command)
    from urllib.parse import urlsplit  # tcp:/http: probes only, not every start-up

    parts = urlsplit(text)
    if parts.scheme in ("tcp", "http"):
        try:
            port = parts.port
        except ValueError:
            port = None
        if not parts.hostname or port is None:
            raise ValueProblem(f"{text!r} needs a host and a port",
                               f"e.g. {parts.scheme}://127.0.0.1:8080"
                               + ("/healthz" if parts.scheme == "http" else ""))
        return ProbeSpec(parts.scheme, target=text, host=parts.hostname, port=port)
    if parts.scheme == "https":
        raise ValueProblem("https probes are not supported",
                           "probe the plain-HTTP port, or use exec: with a client")
    raise ValueProblem(f"unknown check {text!r}", f"write {PROBE_FORMS}")


def rlimit_value(text: str) -> tuple[int, int]:
    """``N``, ``SOFT:HARD`` or ``unlimited``; sizes may carry KB/MB/GB."""

    def one(part: str) -> int:
        part = part.strip().lower()
        if part in _UNLIMITED:
            return -1
        value = values.byte_size(part)
        if value < 0:
            raise ValueProblem(f"{part!r} is negative", "write a size, or unlimited")
        return value

    soft_text, colon, hard_text = text.partition(":")
    soft = one(soft_text)
    hard = one(hard_text) if colon else soft
    if hard != -1 and (soft == -1 or soft > hard):
        raise ValueProblem("the soft limit is above the hard limit",
                           "write SOFT:HARD with SOFT <= HARD")
    return soft, hard


def _read_probe(r: SectionReader, prefix: str, names: Mapping[str, str | int],
                interval: float, timeout: float) -> ProbeSpec | None:
    found = r.get(f"{prefix}_check", probe, None, names)
    if found is None:
        for key in (f"{prefix}_interval", f"{prefix}_timeout"):
            if r.has(key):
                r.warning(key, f"{key} is ignored without {prefix}_check",
                          f"add {prefix}_check={PROBE_FORMS.split(',')[0]} or remove {key}")
        return None
    return ProbeSpec(
        found.kind, found.target, found.host, found.port,
        interval=r.get(f"{prefix}_interval", seconds, interval, names),
        timeout=r.get(f"{prefix}_timeout", seconds, timeout, names),
    )


def read_health(r: SectionReader, names: Mapping[str, str | int]) -> HealthSpec:
    ready = _read_probe(r, "ready", names, READY_INTERVAL, READY_TIMEOUT)
    health = _read_probe(r, "health", names, HEALTH_INTERVAL, HEALTH_TIMEOUT)
    return HealthSpec(
        ready=ready,
        ready_deadline=r.get("ready_deadline", seconds_or_zero, READY_DEADLINE, names),
        health=health,
        health_retries=r.get("health_retries", lambda t: values.bounded_integer(t, 1),
                             HEALTH_RETRIES, names),
        health_start_period=r.get("health_start_period", seconds_or_zero, 0.0, names),
    )


def _read_environment_file(r: SectionReader, names: Mapping[str, str | int]
                           ) -> tuple[str | None, tuple[tuple[str, str], ...]]:
    text = r.text("environment_file", names)
    if not text:
        return None, ()
    optional = text.startswith("-")  # systemd's "-": a missing file is not an error
    path = r.ctx.absolute(text[1:] if optional else text)
    entry = r.entry("environment_file")
    try:
        with open(path, encoding="utf-8") as handle:
            content = handle.read()
    except FileNotFoundError:
        if not optional:
            r.error("environment_file", f"environment_file {path} does not exist",
                    "create it, or write environment_file=-PATH to allow a missing file")
        return path, ()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
        r.error("environment_file", f"cannot read environment_file {path}: {reason}")
        return path, ()
    pairs, problems = dotenv.parse(content)
    for problem in problems:
        # Named by the env file's own line, so the user opens the right place.
        r.ctx.collector.problem(
            "error", (path, problem.line), r.section, "environment_file",
            ValueProblem(problem.message, "fix that line of the file",
                         f"read through environment_file at {os.path.basename(entry.file)}:"
                         f"{entry.line}" if entry else None))
    return path, tuple(pairs)


_RLIMIT_KEYS = tuple((suffix, f"rlimit_{suffix}") for suffix in RLIMITS)


def read_resources(r: SectionReader, names: Mapping[str, str | int]) -> ResourceSpec:
    limits: list[tuple[str, int, int]] = []
    for suffix, key in _RLIMIT_KEYS:
        if r.has(key):
            value = r.get(key, rlimit_value, None, names)
            if value is not None:
                limits.append((suffix.upper(), *value))
    path, pairs = _read_environment_file(r, names)
    memory = r.get("memory_limit", values.byte_size, 0, names)
    if memory < 0:
        r.error("memory_limit", "memory_limit is negative", "write e.g. 200MB, or 0 for none")
        memory = 0
    return ResourceSpec(rlimits=tuple(limits), memory_limit=memory,
                        environment_file=path, file_environment=pairs)
