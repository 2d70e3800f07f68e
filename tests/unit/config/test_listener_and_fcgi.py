"""[eventlistener:x] (reference §1.11) and [fcgi-program:x] (§1.10)."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from minder.config import LoadResult
from minder.model.specs import GroupKind


def test_listener(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("""
        [eventlistener:mon]
        command=/bin/cat
        events=process_state,TICK_5
        buffer_size=3
        result_handler=mod:fn
        """).root.groups
    assert (group.kind, group.priority) == (GroupKind.EVENTLISTENER, -1)
    assert group.listener is not None
    assert group.listener.events == ("PROCESS_STATE", "TICK_5")
    assert (group.listener.buffer_size, group.listener.result_handler) == (3, "mod:fn")
    assert group.processes[0].priority == 999  # the pool's is -1, the process keeps 999


def test_listener_defaults(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("[eventlistener:m]\ncommand=/bin/cat\nevents=EVENT\n").root.groups
    assert group.listener is not None
    assert (group.listener.buffer_size, group.listener.result_handler) == (
        10, "supervisor.dispatchers:default_handler")


@pytest.mark.parametrize(
    ("lines", "expected"),
    [("", 'supervisord.conf:5: error: [eventlistener:m] section requires an "events" line '
          "(add e.g. events=PROCESS_STATE)"),
     ("events=PROCES_STATE", "supervisord.conf:7: error: [eventlistener:m] Unknown event type "
                             "PROCES_STATE in events (did you mean 'PROCESS_STATE'?)"),
     ("events=EVENT\nbuffer_size=0", "supervisord.conf:8: error: [eventlistener:m] 0 is below "
                                     "lower bound (1)"),
     ("events=EVENT\nredirect_stderr=true",
      "supervisord.conf:8: error: [eventlistener:m] redirect_stderr=true is not allowed because "
      "it will interfere with the eventlistener protocol (remove redirect_stderr)")],
)
def test_listener_errors(errors_of: Callable[..., list[str]], lines: str, expected: str) -> None:
    assert errors_of(f"[eventlistener:m]\ncommand=/bin/cat\n{lines}\n") == [expected]


def test_listener_stdout_event_keys_are_ignored_with_a_warning(
    load_text: Callable[..., LoadResult],
) -> None:
    result = load_text("""
        [eventlistener:m]
        command=/bin/cat
        events=EVENT
        stdout_events_enabled=true
        stderr_events_enabled=true
        """)
    process = result.root.groups[0].processes[0]
    assert (process.stdout.events_enabled, process.stderr.events_enabled) == (False, True)
    (warning,) = result.diagnostics
    assert str(warning) == (
        "supervisord.conf:8: warning: [eventlistener:m] stdout_events_enabled is ignored for an "
        "eventlistener (remove stdout_events_enabled) — stdout is the event protocol channel")


def test_fcgi_unix(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("""
        [fcgi-program:php]
        command=/usr/bin/php-cgi
        socket=unix:///tmp/%(program_name)s.sock
        socket_owner=www-data
        socket_mode=0660
        socket_backlog=64
        process_name=%(program_name)s_%(process_num)d
        numprocs=2
        """).root.groups
    assert group.kind == GroupKind.FCGI and len(group.processes) == 2
    sock = group.fcgi
    assert sock is not None
    assert (sock.family, sock.path, sock.url) == ("unix", "/tmp/php.sock", "unix:///tmp/php.sock")
    assert (sock.owner_uid, sock.owner_gid, sock.mode, sock.backlog) == (33, 33, 0o660, 64)


def test_fcgi_tcp(load_text: Callable[..., LoadResult]) -> None:
    (group,) = load_text("""
        [fcgi-program:php]
        command=/usr/bin/php-cgi
        socket=tcp://LocalHost:9000
        """).root.groups
    sock = group.fcgi
    assert sock is not None and (sock.family, sock.host, sock.port) == ("tcp", "localhost", 9000)


def test_fcgi_socket_owner_defaults_to_the_program_user(
    load_text: Callable[..., LoadResult],
) -> None:
    (group,) = load_text("""
        [fcgi-program:php]
        command=/usr/bin/php-cgi
        socket=unix:///tmp/php.sock
        user=www-data
        """).root.groups
    assert group.fcgi is not None and (group.fcgi.owner_uid, group.fcgi.owner_gid) == (33, 33)


@pytest.mark.parametrize(
    ("lines", "message"),
    [("", "section must have a socket line"),
     ("socket=unix://relative.sock", "Unix socket path relative.sock is not an absolute path"),
     ("socket=http://x", "Bad socket format http://x"),
     ("socket=tcp://127.0.0.1:9000\nsocket_mode=0600", "socket_mode is only valid for unix"),
     ("socket=unix:///tmp/s\nsocket_backlog=0", "0 is below lower bound (1)")],
)
def test_fcgi_errors(errors_of: Callable[..., list[str]], lines: str, message: str) -> None:
    errors = errors_of(f"[fcgi-program:p]\ncommand=/bin/true\n{lines}\n")
    assert any(message in e for e in errors), errors
