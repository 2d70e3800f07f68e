"""Parse the stamp file that bench/children/stamp.py children append to."""

from __future__ import annotations


def gaps_ms(text: str) -> list[float]:
    """Exit-to-next-start gaps from a stamp file (``S ns`` / ``E ns`` lines)."""
    gaps: list[float] = []
    last_exit: int | None = None
    for line in text.splitlines():
        kind, _, rest = line.partition(" ")
        ns = rest.split(" ", 1)[0]  # the C child appends its pid
        if not ns.isdigit():
            continue
        if kind == "E":
            last_exit = int(ns)
        elif kind == "S" and last_exit is not None:
            gaps.append((int(ns) - last_exit) / 1e6)
            last_exit = None
    return gaps
