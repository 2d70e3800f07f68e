"""supervisord's log levels: names in the config, four-letter codes in the file.

supervisord accepts exactly these seven names (case-insensitive) and rejects
``warning``; keeping the same set means a config that works there works here.
"""

from __future__ import annotations

from enum import IntEnum


class Level(IntEnum):
    CRIT = 50
    ERRO = 40
    WARN = 30
    INFO = 20
    DEBG = 10
    TRAC = 5
    BLAT = 3


LEVEL_BY_NAME: dict[str, Level] = {
    "critical": Level.CRIT,
    "error": Level.ERRO,
    "warn": Level.WARN,
    "info": Level.INFO,
    "debug": Level.DEBG,
    "trace": Level.TRAC,
    "blather": Level.BLAT,
}


def parse_level(name: str) -> Level:
    """Turn a config/CLI level name into a Level, with supervisord's error text."""
    try:
        return LEVEL_BY_NAME[name.strip().lower()]
    except KeyError:
        raise ValueError(f"bad logging level name {name!r}") from None


def level_code(level: int) -> str:
    """The four-letter code written in the log; unusual numbers print as ``LVLn``."""
    try:
        return Level(level).name
    except ValueError:
        return f"LVL{level}"
