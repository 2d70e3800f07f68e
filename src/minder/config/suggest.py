"""Did-you-mean for misspelt keys, sections, names and signals."""

from __future__ import annotations

from collections.abc import Iterable


def closest(word: str, candidates: Iterable[str]) -> str | None:
    """The most similar candidate, or None when nothing is close enough."""
    pool = list(candidates)
    lowered = {c.lower(): c for c in pool}
    if word.lower() in lowered:
        return lowered[word.lower()]
    # a truncated key (stdout_log) means the shortest key it begins
    extensions = [c for c in lowered if c.startswith(word.lower())]
    if extensions and len(word) >= 4:
        return lowered[min(extensions, key=len)]
    import difflib  # only when a name is misspelt: not on every start-up

    matches = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=0.6)
    return lowered[matches[0]] if matches else None


def did_you_mean(word: str, candidates: Iterable[str]) -> str | None:
    match = closest(word, candidates)
    return f"did you mean {match!r}?" if match else None
