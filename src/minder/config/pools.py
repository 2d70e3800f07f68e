"""Group-level extras: an eventlistener's pool settings and an fcgi socket."""

from __future__ import annotations

from collections.abc import Mapping

from minder.config import values
from minder.config.context import LoadContext, SectionReader
from minder.config.diagnostics import ValueProblem
from minder.config.suggest import did_you_mean
from minder.model.specs import FcgiSocketSpec, ListenerPoolSpec
from minder.protocol.events import EVENT_TYPES

# Reference §6.1: every event type a listener may subscribe to (owned by protocol/).
EVENT_TYPE_NAMES = tuple(sorted(EVENT_TYPES))
DEFAULT_RESULT_HANDLER = "supervisor.dispatchers:default_handler"


def read_listener_pool(
    ctx: LoadContext, section: str, env: Mapping[str, str | int]
) -> tuple[ListenerPoolSpec, int]:
    """The pool spec and the pool's priority (default -1: listeners start first)."""
    r = SectionReader(ctx, section)
    names = {"here": "", **env}
    events_text = r.text("events", names)
    events: list[str] = []
    if not events_text:
        r.error("events",
                'section requires an "events" line',
                "add e.g. events=PROCESS_STATE")
    else:
        for name in values.list_of_strings(events_text):
            upper = name.upper()
            if upper not in EVENT_TYPE_NAMES:
                r.error("events", f"Unknown event type {upper} in events",
                        did_you_mean(upper, EVENT_TYPE_NAMES))
            else:
                events.append(upper)
    buffer_size = r.get("buffer_size", lambda t: values.bounded_integer(t, 1), 10, names)
    handler = r.text("result_handler", names, DEFAULT_RESULT_HANDLER) or DEFAULT_RESULT_HANDLER
    priority = r.get("priority", values.integer, -1, names)
    return ListenerPoolSpec(tuple(events), buffer_size, handler), priority


def read_fcgi_socket(
    ctx: LoadContext, section: str, env: Mapping[str, str | int],
    user_ids: tuple[int, int] | None,
) -> FcgiSocketSpec | None:
    r = SectionReader(ctx, section)
    program = section.partition(":")[2]
    url = r.text("socket", {"here": "", "program_name": program, **env})
    if url is None:
        if not r.has("socket"):
            r.error("socket", "section must have a socket line",
                    "add socket=unix:///run/%(program_name)s.sock or socket=tcp://127.0.0.1:9000")
        return None
    backlog = r.get("socket_backlog", lambda t: values.bounded_integer(t, 1, 65535), None, env)
    try:
        spec = _parse_socket_url(url)
    except ValueProblem as problem:
        r.error_at(r.entry("socket"), "socket", problem)
        return None
    if spec.family == "tcp":
        for key in ("socket_mode", "socket_owner"):
            if r.has(key):
                r.error(key, f"{key} is only valid for unix sockets, not {url}",
                        f"remove {key}")
        return FcgiSocketSpec(spec.url, "tcp", spec.host, spec.port, backlog=backlog)
    owner = r.get("socket_owner", values.user_and_group, user_ids, env)
    return FcgiSocketSpec(
        spec.url, "unix", path=spec.path,
        owner_uid=owner[0] if owner else None,
        owner_gid=owner[1] if owner else None,
        mode=r.get("socket_mode", values.octal, 0o700, env),
        backlog=backlog,
    )


def _parse_socket_url(url: str) -> FcgiSocketSpec:
    if url.startswith("unix://"):
        path = url[len("unix://"):]
        if not path.startswith("/"):
            raise ValueProblem(f"Unix socket path {path} is not an absolute path",
                               "write unix:///absolute/path.sock")
        return FcgiSocketSpec(url, "unix", path=path)
    if url.startswith("tcp://"):
        host, port = values.inet_address(url[len("tcp://"):])
        return FcgiSocketSpec(url, "tcp", host=host, port=port)
    raise ValueProblem(f"Bad socket format {url}",
                       "write tcp://host:port or unix:///absolute/path.sock")
