"""``environment_file=``: read a dotenv file into (name, value) pairs.

The syntax is the one docker ``--env-file``, systemd ``EnvironmentFile=``
and the dotenv libraries agree on: ``KEY=value`` per line, an optional
``export`` prefix, blank lines and ``#`` comments, single quotes taken
literally, double quotes with ``\\n``, ``\\t``, ``\\"`` and ``\\\\`` escapes,
and a `` #`` after an unquoted value starting a comment.

Why errors never quote the line: the file usually holds secrets, and a
config error ends up in terminals, CI logs and the main log. A problem is
named by file and line and what is wrong with it, never by its text.
"""

from __future__ import annotations

import re

from minder.records import record

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "$": "$"}


@record
class DotenvProblem:
    """A line of an environment file that cannot be read (never quoting its value)."""

    line: int
    message: str  # never contains a value


def _double_quoted(body: str) -> tuple[str, str] | None:
    """(value, rest after the closing quote) or None when it is not closed."""
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            out.append(_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if ch == '"':
            return "".join(out), body[i + 1 :]
        out.append(ch)
        i += 1
    return None


def _value(text: str) -> str | None:
    """The value of one line's right-hand side, or None when it is malformed."""
    text = text.strip()
    if text.startswith("'"):
        end = text.find("'", 1)
        if end < 0:
            return None
        rest, value = text[end + 1 :], text[1:end]
    elif text.startswith('"'):
        parsed = _double_quoted(text[1:])
        if parsed is None:
            return None
        value, rest = parsed
    else:
        comment = re.search(r"\s#", text)
        return (text[: comment.start()] if comment else text).strip()
    rest = rest.strip()
    if rest and not rest.startswith("#"):
        return None  # text after the closing quote
    return value


def parse(text: str) -> tuple[list[tuple[str, str]], list[DotenvProblem]]:
    """Every assignment in order (a later one wins) and every malformed line."""
    pairs: list[tuple[str, str]] = []
    problems: list[DotenvProblem] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].strip()
        name, equals, rest = line.partition("=")
        name = name.strip()
        if not equals:
            problems.append(DotenvProblem(number, "expected NAME=value"))
            continue
        if not _NAME.match(name):
            problems.append(DotenvProblem(
                number, "the name before '=' must be letters, digits and _, not starting "
                "with a digit"))
            continue
        value = _value(rest)
        if value is None:
            problems.append(DotenvProblem(
                number, f"the value of {name} has an unclosed quote or text after its "
                "closing quote"))
            continue
        pairs.append((name, value))
    return pairs, problems
