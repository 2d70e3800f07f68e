"""Read one section of a supervisord-style INI file without configparser.

``configparser`` pulls in ``re`` and friends, a noticeable share of a
``minderctl`` run. minderctl needs only the ``[supervisorctl]`` section
(and ``[DEFAULT]``), read with the same dialect as supervisorctl's
RawConfigParser: ``key = value`` or ``key: value``, case-insensitive keys,
indented continuation lines, whole-line ``;``/``#`` comments, inline
comments only after whitespace, duplicates merge with the last value winning.
"""

from __future__ import annotations

_INLINE_PREFIXES = (";", "#")


def _strip_inline_comment(line: str) -> str:
    cut = len(line)
    for prefix in _INLINE_PREFIXES:
        start = 0
        while True:
            index = line.find(prefix, start)
            if index == -1:
                break
            if index > 0 and line[index - 1].isspace():
                cut = min(cut, index)
                break
            start = index + 1
    return line[:cut]


def parse_ini(
    text: str, wanted: frozenset[str] | None = None
) -> dict[str, dict[str, str]]:
    """Every section (or only the ``wanted`` ones) as ``{name: {key: raw value}}``;
    keys lower-cased.

    The whole file is read (a bad line anywhere is an error, as in
    configparser), but a line that starts in column 0 and holds no comment
    character, nearly every line of a big ``[program:x]`` file, skips the
    comment and indentation work, and in a section nobody asked for is only
    checked, not stored: 5,000 programs are 35,000 such lines.
    """
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    keep = True  # the current section is wanted
    key: str | None = None
    key_indent = 0
    for raw in text.splitlines():
        if not raw:
            continue
        if raw[0].isspace() or ";" in raw or "#" in raw:
            if raw.lstrip().startswith(_INLINE_PREFIXES):
                continue
            body = _strip_inline_comment(raw).rstrip()
            content = body.strip()
            if not content:
                continue
            indent = len(body) - len(body.lstrip())
            if current is not None and key is not None and indent > key_indent:
                previous = current[key]
                current[key] = (previous + "\n" + content) if previous else content
                continue
        else:  # column 0, no comment: no continuation either (its indent is 0)
            content = raw.rstrip()
            indent = 0
        if content[0] == "[" and content[-1] == "]" and len(content) > 2:
            name = content[1:-1]
            keep = wanted is None or name in wanted
            # an unwanted section's keys go nowhere; its continuations to a scratch key
            current = sections.setdefault(name, {}) if keep else {"": ""}
            key = None
            continue
        if current is None:
            raise ValueError(f"file contains no section headers (line {raw!r})")
        if not keep:
            if "=" not in content and ":" not in content:
                raise ValueError(f"cannot parse line {raw!r}")
            key, key_indent = "", indent
            continue
        equals, colon = content.find("="), content.find(":")
        split = colon if equals == -1 or (colon != -1 and colon < equals) else equals
        if split == -1:
            raise ValueError(f"cannot parse line {raw!r}")
        key = content[:split].strip().lower()
        current[key] = content[split + 1 :].strip()
        key_indent = indent
    return sections


def read_section(text: str, name: str) -> dict[str, str] | None:
    """The keys of ``[name]`` with ``[DEFAULT]`` inherited, or None if absent."""
    sections = parse_ini(text, frozenset((name, "DEFAULT")))
    if name not in sections:
        return None
    merged = dict(sections.get("DEFAULT", {}))
    merged.update(sections[name])
    return merged
