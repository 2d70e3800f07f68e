"""One pure converter per value type of the supervisord config dialect.

Each takes the (already expanded) text and returns the typed value or raises
ValueProblem with supervisord's wording, plus minder's advice where
supervisord would have silently accepted something wrong (``E=a b`` in
``environment=``, ``+0`` as a uid).
"""

from __future__ import annotations

import grp
import pwd
import re
import shlex

from minder.config.diagnostics import ValueProblem
from minder.config.suggest import did_you_mean
from minder.model.specs import AutoRestart
from minder.protocol.signals import SIGNAL_NAMES, BadSignal, parse_signal
from minder.records import record

_TRUE = frozenset({"yes", "true", "on", "1"})
_FALSE = frozenset({"no", "false", "off", "0"})
_ASCII_DIGITS = re.compile(r"[0-9]+")
LOG_LEVELS = ("critical", "error", "warn", "info", "debug", "trace", "blather")


def boolean(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise ValueProblem(
        f"not a valid boolean value: {text!r}", "use one of true/false, yes/no, on/off, 1/0"
    )


def integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueProblem(
            f"invalid literal for int() with base 10: {text!r}", "write a whole number"
        ) from None


def bounded_integer(text: str, low: int, high: int | None = None) -> int:
    value = integer(text)
    if value < low:
        raise ValueProblem(f"{value} is below lower bound ({low})")
    if high is not None and value > high:
        raise ValueProblem(f"{value} is above upper bound ({high})")
    return value


_SIZE_SUFFIXES = {"kb": 1024, "mb": 1024**2, "gb": 1024**3}


def byte_size(text: str) -> int:
    """``50MB``, ``5 kb``, ``1024`` (powers of 1024; ``-1`` never rotates)."""
    lowered = text.strip().lower()
    factor = 1
    for suffix, multiple in _SIZE_SUFFIXES.items():
        if lowered.endswith(suffix):
            lowered, factor = lowered[: -len(suffix)].strip(), multiple
            break
    try:
        return int(lowered) * factor
    except ValueError:
        raise ValueProblem(
            f"invalid literal for int() with base 10: {lowered!r}",
            "write a whole number with an optional KB, MB or GB suffix, e.g. 50MB",
        ) from None


def octal(text: str) -> int:
    try:
        return int(text, 8)
    except (TypeError, ValueError):
        raise ValueProblem(
            f"{text} can not be converted to an octal type", "write octal digits, e.g. 022"
        ) from None


def signal_number(text: str) -> int:
    """``TERM``, ``SIGTERM``, ``term``, ``15`` (supervisord's spellings; protocol/signals.py)."""
    try:
        return parse_signal(text)
    except BadSignal as exc:
        if exc.name is None:
            raise ValueProblem(exc.message) from None
        hint = did_you_mean(exc.name, SIGNAL_NAMES)
        raise ValueProblem(
            exc.message, hint or "use a name such as TERM, INT, HUP, QUIT or KILL"
        ) from None


def exit_codes(text: str) -> tuple[int, ...]:
    """Comma-separated exit codes 0-255; an empty value means none is expected."""
    if not text.strip():
        return ()
    try:
        codes = tuple(int(part) for part in text.split(","))
    except ValueError:
        codes = (-1,)
    if any(not 0 <= code <= 255 for code in codes):
        raise ValueProblem(
            f"not a valid list of exit codes: {text!r}",
            "write comma-separated numbers from 0 to 255, e.g. 0,2",
        )
    return codes


def auto_restart(text: str) -> AutoRestart:
    lowered = text.strip().lower()
    if lowered == "unexpected":
        return AutoRestart.UNEXPECTED
    if lowered in _TRUE:
        return AutoRestart.ALWAYS
    if lowered in _FALSE:
        return AutoRestart.NEVER
    raise ValueProblem(
        f"invalid 'autorestart' value {text!r}", "use true, false or unexpected"
    )


def log_level(text: str) -> str:
    lowered = text.strip().lower()
    if lowered in LOG_LEVELS:
        return lowered
    raise ValueProblem(
        f"bad logging level name {lowered!r}",
        "did you mean 'warn'?" if lowered == "warning" else "use one of " + ", ".join(LOG_LEVELS),
    )


def list_of_strings(text: str) -> list[str]:
    """Split on commas and strip; empty items are kept, as supervisord does."""
    if not text:
        return []
    return [part.strip() for part in text.split(",")]


def process_or_group_name(text: str) -> str:
    name = text.strip()
    for char in (" ", ":", "/"):
        if char in name:
            raise ValueProblem(
                f"Invalid name: {name!r} because of character: {char!r}",
                "names may not contain spaces, ':' or '/'",
            )
    if name in (".", ".."):
        # supervisord accepts them, but they are path segments to every URL
        # (the web UI's /logtail/{name}, /api/v1/processes/{name}): unusable there.
        raise ValueProblem(
            f"Invalid name: {name!r}",
            "'.' and '..' cannot be used as names; choose a name with a letter or digit",
        )
    return name


@record
class User:
    """A ``user=`` that resolved on this machine."""

    name: str  # as written
    uid: int
    gid: int  # primary group


def user(text: str) -> User:
    """A user name, or a uid written in plain ASCII digits; it must exist now.

    supervisord passes the text to ``int()``, which also accepts ``+0``,
    `` 0``, ``0_0`` and non-ASCII digits, so a typo can become root. Here
    only ``[0-9]+`` is a uid; anything else must be a real user name. The
    final value is checked exactly as it is: the INI reader already strips
    what was written, so spaces can only come from an expansion
    (``user=%(ENV_X)s`` with ``X=" 0"``) and are refused, never stripped
    into ``0``.
    """
    _refuse_padding(text, "user")
    stripped = text
    if _ASCII_DIGITS.fullmatch(stripped):
        try:
            entry = pwd.getpwuid(int(stripped))
        except KeyError:
            raise ValueProblem(
                f"Invalid user id {stripped}", "name an existing user or uid from /etc/passwd"
            ) from None
        return User(text, entry.pw_uid, entry.pw_gid)
    try:
        entry = pwd.getpwnam(stripped)
    except (KeyError, ValueError):
        hint = "name an existing user or uid from /etc/passwd"
        if stripped and any(c.isdigit() for c in stripped):
            hint = "a uid must be written in plain ASCII digits 0-9, e.g. user=1000"
        raise ValueProblem(f"Invalid user name {stripped}", hint) from None
    return User(text, entry.pw_uid, entry.pw_gid)


def _refuse_padding(text: str, what: str) -> None:
    if text != text.strip() or not text:
        raise ValueProblem(
            f"Invalid {what} {text!r}: empty, or with spaces around it after expansion",
            f"a {what} is a name from the system database or plain ASCII digits, nothing "
            "else; check the variable it was expanded from",
        )


def group_id(text: str) -> int:
    _refuse_padding(text, "group")
    stripped = text
    if _ASCII_DIGITS.fullmatch(stripped):
        try:
            return grp.getgrgid(int(stripped)).gr_gid
        except KeyError:
            raise ValueProblem(f"Invalid group id {stripped}") from None
    try:
        return grp.getgrnam(stripped).gr_gid
    except KeyError:
        raise ValueProblem(f"Invalid group name {stripped}") from None


def user_and_group(text: str) -> tuple[int, int]:
    """``user`` or ``user:group`` (for ``chown=`` and ``socket_owner=``)."""
    name, sep, group = text.partition(":")
    try:
        who = user(name)
        gid = group_id(group) if sep else who.gid
    except ValueProblem as problem:
        raise ValueProblem(
            f"Invalid user:group definition {text} ({problem.message})",
            "write user or user:group with existing names",
        ) from None
    return who.uid, gid


def inet_address(text: str) -> tuple[str, int]:
    """``host:port``, ``:port``, ``*:port`` or ``port``; '' means all interfaces."""
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "", text
    host = host.strip().lower()
    if host == "*":
        host = ""
    port_text = port_text.strip()
    if not port_text:
        raise ValueProblem(
            f"no port number specified in {host!r}", "write host:port, e.g. 127.0.0.1:9001"
        )
    try:
        port = int(port_text)
    except ValueError:
        raise ValueProblem(
            f"invalid literal for int() with base 10: {port_text!r}",
            "write host:port, e.g. 127.0.0.1:9001",
        ) from None
    if port < 1:
        raise ValueProblem(f"{port} is below lower bound (1)")
    if port > 65535:
        raise ValueProblem(f"{port} is above upper bound (65535)")
    return host, port


# environment= ---------------------------------------------------------------

_SEPARATORS = (",", ";")


def environment(text: str) -> tuple[tuple[str, str], ...]:
    """``KEY=val,KEY2="v, 2"`` pairs, in order.

    supervisord reads this with a non-POSIX shlex in groups of four tokens
    (KEY, ``=``, VALUE, separator) and never checks the separator, so
    ``E=a b`` silently becomes ``E=a`` and ``S=$HOME`` becomes ``S=$``.
    Here a separator other than ``,``/``;`` is an error whose fix is to
    quote the value; everything supervisord reads intact is read the same.
    """
    lexer = shlex.shlex(text, posix=False)
    lexer.wordchars += "/.+-():"
    tokens = list(lexer)
    pairs: list[tuple[str, str]] = []
    i = 0
    while i < len(tokens):
        if i + 2 >= len(tokens) or tokens[i + 1] != "=":
            raise _env_unexpected(text, tokens[i])
        name, value = tokens[i], tokens[i + 2]
        if i + 3 < len(tokens) and tokens[i + 3] not in _SEPARATORS:
            lost = _lost_text(text, name, value)
            raise ValueProblem(
                f"environment value for {name} is cut short at {tokens[i + 3]!r}",
                _quote_hint(name, lost),
                f"supervisord silently uses {name}={value}",
            )
        if _is_quoted(value):
            value = value[1:-1]
        pairs.append((name, value))
        i += 4
    return tuple(pairs)


def _lost_text(text: str, name: str, value: str) -> str:
    """The whole intended value: from after ``name=`` up to the next comma."""
    match = re.search(re.escape(name) + r"\s*=\s*", text)
    rest = text[match.end():] if match else value
    return rest.split(",")[0].strip()


def _quote_hint(name: str, lost: str) -> str:
    hint = f'quote the value: {name}="{lost}"'
    variable = re.fullmatch(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lost)
    if variable:
        hint += f"; values are literal, for the variable write {name}=\"%(ENV_{variable[1]})s\""
    return hint


def _is_quoted(token: str) -> bool:
    return len(token) >= 2 and token[0] == token[-1] and token[0] in "'\""


def _env_unexpected(text: str, key: str) -> ValueProblem:
    return ValueProblem(
        f"Unexpected end of key/value pairs in value {text!r}",
        f'write KEY=value pairs separated by commas and quote values, e.g. {key}="…"',
    )
