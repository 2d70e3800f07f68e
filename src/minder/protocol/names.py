"""``group:process`` namespecs, as supervisorctl and the API spell them."""

from __future__ import annotations


def make_namespec(group: str, process: str) -> str:
    """``group:process``, or the bare name when a program is its own group."""
    if group == process:
        return process
    return f"{group}:{process}"


def split_namespec(namespec: str) -> tuple[str, str | None]:
    """Split ``g:p`` into ``(g, p)``.

    ``g:*`` and ``g:`` name the whole group and give ``(g, None)``; a bare
    ``name`` gives ``(name, name)`` — a program that is its own group.
    """
    group, sep, process = namespec.partition(":")
    if not sep:
        return namespec, namespec
    if process in ("", "*"):
        return group, None
    return group, process
