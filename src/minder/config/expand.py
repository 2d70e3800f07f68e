"""``%(name)s`` expansion, with the names supervisord makes available per key.

supervisord expands values with Python's ``%`` operator against a mapping
that depends on the section and key (reference §1.13); a name outside that
mapping is an error, and so is a stray ``%``. The mappings are built by the
section readers; this module only applies one and explains failures.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from minder.config.diagnostics import ValueProblem
from minder.config.suggest import did_you_mean

_NAME = re.compile(r"%\(([^)]*)\)")
# A conversion's width or precision: "%(here)1500000000s" would build a 1.5 GB string.
_WIDTH = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\d*)(?:\.(\d*))?")
MAX_FORMAT_WIDTH = 4096

Names = Mapping[str, str | int]


def env_names(environ: Mapping[str, str]) -> dict[str, str | int]:
    """``ENV_X`` for every variable X."""
    return {f"ENV_{key}": value for key, value in environ.items()}


def expand(text: str, names: Names, where: str, *, secret: bool = False) -> str:
    """``text % names``; ``where`` is ``section.key`` for the message.

    ``secret`` (a password): the message never quotes the value nor any part
    of it, since config errors end up in the main log (a reload that fails)
    and on terminals.
    """
    _check_widths(text, where, secret)
    try:
        return text % names
    except KeyError:
        if secret:
            raise ValueProblem(
                f"The value of {where!r} (not shown: it is a secret) contains a %(name)s "
                "expansion of an unknown name",
                "write %% for a literal %, or set the variable it names",
            ) from None
        unknown = [n for n in _NAME.findall(text) if n not in names]
        shown = sorted(n for n in names if not n.startswith("ENV_"))
        if any(n.startswith("ENV_") for n in names):
            shown.append("ENV_<variable>")
        suggestion = None
        if unknown:
            first = unknown[0]
            if first.startswith("ENV_"):
                suggestion = f"the variable {first[4:]} is not set in the environment"
            else:
                suggestion = did_you_mean(first, names) or (
                    "write %% for a literal %" if "%" in text else None
                )
        raise ValueProblem(
            f"Format string {text!r} for {where!r} contains names "
            f"({', '.join(repr(n) for n in unknown)}) which cannot be expanded. "
            f"Available names: {', '.join(shown)}",
            suggestion,
        ) from None
    except (ValueError, TypeError) as exc:
        if secret:
            raise ValueProblem(
                f"The value of {where!r} (not shown: it is a secret) contains a % that "
                "is neither %% nor %(name)s",
                "write %% for a literal % and %(name)s for an expansion",
            ) from None
        raise ValueProblem(
            f"Format string {text!r} for {where!r} is badly formatted: {exc}",
            "write %% for a literal % and %(name)s for an expansion",
        ) from None


def _check_widths(text: str, where: str, secret: bool) -> None:
    """Refuse a width or precision that would make expansion build a huge string."""
    if "%" not in text:
        return
    for match in _WIDTH.finditer(text.replace("%%", "")):
        widest = max(int(match.group(1) or 0), int(match.group(2) or 0))
        if widest > MAX_FORMAT_WIDTH:
            shown = "a conversion" if secret else repr(match.group(0))
            raise ValueProblem(
                f"{shown} in the value of {where!r} asks for a width of {widest} "
                f"characters (at most {MAX_FORMAT_WIDTH})",
                "write %(name)s without a width; write %% for a literal %",
            )
