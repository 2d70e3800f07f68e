"""``help [command]`` and ``quit``/``exit``."""

from __future__ import annotations

from minder.ctl.helptext import TOPICS
from minder.ctl.session import Session

HEADER = "default commands (type help <topic>):"


def _columns(words: list[str], width: int = 80) -> list[str]:
    """Lay ``words`` out column-major in as few rows as fit ``width`` (as cmd.Cmd does)."""
    for rows in range(1, len(words) + 1):
        columns = [words[i:i + rows] for i in range(0, len(words), rows)]
        widths = [max(len(w) for w in column) for column in columns]
        if sum(widths) + 2 * (len(widths) - 1) <= width:
            break
    lines = []
    for r in range(rows):
        cells = [column[r] if r < len(column) else "" for column in columns]
        while cells and not cells[-1]:
            cells.pop()
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(cells)))
    return lines


def do_help(s: Session, arg: str) -> None:
    from minder.ctl.commands import MINDER_ONLY, MODULES

    topic = arg.strip()
    if topic:
        if topic in TOPICS:
            s.output(TOPICS[topic])
        else:
            s.output(f"*** No help on {topic}")
        return
    s.output("")
    s.output(HEADER)
    s.output("=" * len(HEADER))
    listed = sorted(name for name in MODULES if name != "help" and name not in MINDER_ONLY)
    for line in _columns(listed, 79):
        s.output(line)
    s.output("")


def do_quit(s: Session, arg: str) -> bool:
    s.output("")
    return True


do_exit = do_quit
