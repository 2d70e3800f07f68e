"""The activity log's line format and level names match supervisord's."""

from __future__ import annotations

import re
import time

import pytest

from minder.engine.logs.levels import Level, level_code, parse_level
from minder.engine.logs.mainlog import MainLog, PendingLog, format_record, syslog_priority

LINE = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]{4} .*\n$")


def test_record_has_supervisord_layout() -> None:
    created = time.mktime((2026, 11, 29, 10, 41, 42, 0, 0, -1)) + 0.1234
    assert format_record(Level.INFO, "spawned: 'a' with pid 7", created) == (
        b"2026-11-29 10:41:42,123 INFO spawned: 'a' with pid 7\n"
    )


def test_milliseconds_are_zero_padded() -> None:
    created = time.mktime((2026, 1, 2, 3, 4, 5, 0, 0, -1)) + 0.0075
    assert format_record(Level.CRIT, "x", created).startswith(b"2026-01-02 03:04:05,007 CRIT x")


@pytest.mark.parametrize(
    ("level", "code"),
    [
        (50, "CRIT"),
        (40, "ERRO"),
        (30, "WARN"),
        (20, "INFO"),
        (10, "DEBG"),
        (5, "TRAC"),
        (3, "BLAT"),
    ],
)
def test_level_codes(level: int, code: str) -> None:
    assert level_code(level) == code
    assert LINE.match(format_record(level, "m", 0.0))


def test_odd_level_numbers_still_format() -> None:
    assert level_code(7) == "LVL7"


@pytest.mark.parametrize(
    ("name", "level"),
    [
        ("critical", 50),
        ("error", 40),
        ("warn", 30),
        ("info", 20),
        ("debug", 10),
        ("trace", 5),
        ("blather", 3),
        ("INFO", 20),
        (" Debug ", 10),
    ],
)
def test_level_names(name: str, level: int) -> None:
    assert parse_level(name) == level


@pytest.mark.parametrize("name", ["warning", "verbose", "", "20"])
def test_unknown_level_names_are_rejected_like_supervisord(name: str) -> None:
    with pytest.raises(ValueError, match=re.escape(f"bad logging level name {name!r}")):
        parse_level(name)


def test_non_ascii_messages_are_utf8() -> None:
    assert "héllo ✓".encode() in format_record(Level.INFO, "héllo ✓", 0.0)


def test_lone_surrogates_do_not_raise() -> None:
    assert b"\\udcff" in format_record(Level.INFO, "bad \udcff", 0.0)


def test_syslog_priorities_follow_severity() -> None:
    import syslog

    assert syslog_priority(Level.CRIT) == syslog.LOG_CRIT
    assert syslog_priority(Level.WARN) == syslog.LOG_WARNING
    assert syslog_priority(Level.BLAT) == syslog.LOG_DEBUG


def test_listeners_get_records_at_or_above_the_level() -> None:
    log = MainLog(None, 0, 0, "info", False)
    seen: list[bytes] = []
    log.add_listener(seen.append)
    log.debug("hidden")
    log.info("shown")
    log.critical("loud")
    assert [r.split(b" ", 2)[2] for r in seen] == [b"INFO shown\n", b"CRIT loud\n"]
    log.remove_listener(seen.append)
    log.error("after removal")
    assert len(seen) == 2
    assert log.is_enabled_for(Level.INFO) and not log.is_enabled_for(Level.DEBG)


def test_a_failing_listener_does_not_stop_the_others() -> None:
    log = MainLog(None, 0, 0, "info", False, on_error=lambda _m: None)
    seen: list[bytes] = []

    def broken(_record: bytes) -> None:
        raise RuntimeError("boom")

    log.add_listener(broken)
    log.add_listener(seen.append)
    log.warn("still delivered")
    assert len(seen) == 1


def test_pending_records_are_replayed_with_their_own_times() -> None:
    pending = PendingLog()
    pending.warn("early warning")
    pending.debug("too quiet")
    created = pending.records[0][2]
    log = MainLog(None, 0, 0, "info", False)
    seen: list[bytes] = []
    log.add_listener(seen.append)
    log.replay(pending)
    assert seen == [format_record(Level.WARN, "early warning", created)]
    assert pending.records == []


def test_echo_stdout(capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    log = MainLog(None, 0, 0, "info", True)
    log.info("to the terminal")
    assert capsysbinary.readouterr().out.endswith(b" INFO to the terminal\n")
