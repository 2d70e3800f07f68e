"""``minderd --check``: every problem of a config, then a one-line summary.

Exit status: 0 clean, 1 warnings only, 2 errors (the config cannot be used).
Also runnable as ``python -m minder.config.check [-c FILE] [--strict]``.
"""

from __future__ import annotations

import sys
from typing import TextIO

from minder.config.diagnostics import ConfigError, Diagnostic
from minder.config.loader import load
from minder.model.specs import GroupKind, RootSpec


def _plural(count: int, word: str) -> str:
    if count == 1:
        return f"{count} {word}"
    return f"{count} {word}es" if word.endswith("s") else f"{count} {word}s"


def summary(root: RootSpec) -> str:
    programs: set[str] = set()
    processes = listeners = 0
    for group in root.groups:
        if group.kind == GroupKind.EVENTLISTENER:
            listeners += 1
            continue
        programs.update(p.program_name for p in group.processes)
        processes += len(group.processes)
    return (
        f"{_plural(len(programs), 'program')} ({_plural(processes, 'process')})"
        f" in {_plural(len(root.groups) - listeners, 'group')}, "
        f"{_plural(listeners, 'event listener pool')}, "
        f"{_plural(len(root.included_files), 'file')} included"
    )


def _counts(diagnostics: list[Diagnostic]) -> str:
    errors = sum(d.severity == "error" for d in diagnostics)
    return f"{_plural(errors, 'error')}, {_plural(len(diagnostics) - errors, 'warning')}"


def run_check(path: str | None, *, strict: bool, out: TextIO) -> int:
    try:
        result = load(path, strict=strict)
    except ConfigError as err:
        for diagnostic in err.diagnostics:
            print(diagnostic, file=out)
        print(f"{_counts(err.diagnostics)}: the config cannot be used", file=out)
        return 2
    for diagnostic in result.diagnostics:
        print(diagnostic, file=out)
    print(f"{summary(result.root)}; {_counts(result.diagnostics)}", file=out)
    return 1 if result.diagnostics else 0


def main(argv: list[str] | None = None) -> int:
    import argparse  # here: the daemon imports this module and never needs it

    parser = argparse.ArgumentParser(
        prog="python -m minder.config.check", description="Check a supervisord/minder config."
    )
    parser.add_argument("-c", "--configuration", dest="path", help="config file")
    parser.add_argument("--strict", action="store_true", help="treat warnings as errors")
    args = parser.parse_args(argv)
    return run_check(args.path, strict=args.strict, out=sys.stdout)


if __name__ == "__main__":
    raise SystemExit(main())
