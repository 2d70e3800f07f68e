"""``tail``, ``maintail`` and ``clear``.

``tail -f`` of one plain name streams raw, exactly like supervisorctl.
``tail -f`` of several names, of ``group:*`` or of ``all`` (a minderctl
addition) interleaves the streams line by line behind a ``name | `` prefix.
"""

from __future__ import annotations

import sys

from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session
from minder.ctl.wire import RpcFault
from minder.protocol.faults import Faults
from minder.protocol.names import make_namespec, split_namespec

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any

CHANNELS = ("stdout", "stderr")
DEFAULT_BYTES = 1600
_TAIL_ERRORS: dict[int, str] = {
    Faults.NO_FILE: "no log file",
    Faults.FAILED: "unknown error reading log",
    Faults.BAD_NAME: "no such process name",
}


def warn_encoding(s: Session) -> None:
    encoding = getattr(sys.stdout, "encoding", None) or ""
    if not encoding.lower().startswith("utf"):
        s.output(
            f"Warning: sys.stdout.encoding is set to {encoding}, so Unicode output may fail. "
            "Check your LANG and PYTHONIOENCODING environment settings."
        )


def _bytes_modifier(s: Session, modifier: str) -> int | None:
    """``-N`` -> N, ``-f`` -> None (follow); prints the error and returns -1 if bad."""
    what = modifier[1:]
    if what == "f":
        return None
    try:
        return int(what)
    except ValueError:
        s.output(f"Error: bad argument {modifier}")
        s.exitstatus = Exit.GENERIC
        return -1


def parse_tail_args(words: list[str]) -> tuple[str | None, list[str], str] | str:
    """(modifier, names, channel) or an error message, supervisorctl's rules.

    With ``-f`` several names are accepted (and an optional trailing channel).
    """
    if not words:
        return "Error: too few arguments"
    modifier = words[0] if words[0].startswith("-") else None
    rest = words[1:] if modifier else list(words)
    if modifier == "-f" and len(rest) >= 2:
        channel = "stdout"
        if rest[-1].lower() in CHANNELS:
            channel = rest.pop().lower()
        return modifier, rest, channel
    if len(words) > 3:
        return "Error: too many arguments"
    if not rest:
        return "Error: tail requires process name"
    if len(rest) == 1:
        return modifier, rest, "stdout"
    channel = rest[-1].lower()
    if channel not in CHANNELS:
        return f"Error: bad channel {channel!r}"
    return modifier, rest[:1], channel


def do_tail(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    parsed = parse_tail_args(arg.split())
    if isinstance(parsed, str):
        s.output(parsed)
        s.exitstatus = Exit.GENERIC
        if "arguments" in parsed:
            show_help(s, "tail")
        return
    modifier, names, channel = parsed
    size: int | None = DEFAULT_BYTES
    if modifier is not None:
        size = _bytes_modifier(s, modifier)
        if size == -1:
            return
    if size is None:
        from minder.ctl.commands.follow import follow_many, follow_one

        if len(names) == 1 and names[0] != "all" and not names[0].endswith((":*", ":")):
            follow_one(s, names[0], channel)
        else:
            follow_many(s, names, channel)
        return
    warn_encoding(s)
    name = names[0]
    method = "supervisor.readProcessStdoutLog" if channel == "stdout" else (
        "supervisor.readProcessStderrLog")
    try:
        output = s.call(method, name, -size, 0)
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        reason = _TAIL_ERRORS.get(fault.code)
        if reason is None:
            raise
        s.output(f"{name}: ERROR ({reason})")
        return
    s.output(output)


def do_maintail(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    words = arg.split()
    size = DEFAULT_BYTES
    if len(words) > 1:
        s.output("Error: too many arguments")
        s.exitstatus = Exit.GENERIC
        show_help(s, "maintail")
        return
    if words:
        if not words[0].startswith("-"):
            s.output(f"Error: bad argument {words[0]}")
            s.exitstatus = Exit.GENERIC
            return
        parsed = _bytes_modifier(s, words[0])
        if parsed is None:
            from minder.ctl.commands.follow import follow_path

            follow_path(s, "/mainlogtail", "supervisord")
            return
        if parsed == -1:
            return
        size = parsed
    try:
        output = s.call("supervisor.readLog", -size, 0)
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code == Faults.NO_FILE:
            s.output("supervisord: ERROR (no log file)")
        elif fault.code == Faults.FAILED:
            s.output("supervisord: ERROR (unknown error reading log)")
        else:
            raise
        return
    s.output(output)


def _clear_line(result: dict[str, Any]) -> str:
    name = make_namespec(result["group"], result["name"])
    code = result["status"]
    if code == Faults.SUCCESS:
        return f"{name}: cleared"
    if code == Faults.BAD_NAME:
        return f"{name}: ERROR (no such process)"
    return f"{name}: ERROR (failed)"


def do_clear(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    names = arg.split()
    if not names:
        s.output("Error: clear requires a process name")
        s.exitstatus = Exit.GENERIC
        show_help(s, "clear")
        return
    if "all" in names:
        for result in s.call("supervisor.clearAllProcessLogs"):
            s.output(_clear_line(result))
            s.set_exit_from_fault(result["status"])
        return
    for name in names:
        group, process = split_namespec(name)
        try:
            s.call("supervisor.clearProcessLogs", name)
        except RpcFault as fault:
            s.output(_clear_line({"status": fault.code, "group": group, "name": process}))
            s.set_exit_from_fault(fault.code)
        else:
            s.output(f"{make_namespec(group, process or '')}: cleared")
