"""``python -m bench.start_ab``: two minder trees' start of N programs, alternated run by run.

The figure is ``bench.start_floor``'s ``minderd`` kind: ``minderd -n`` on
the fleet config, command -> the N-th child's own start stamp (what a user
waits for; ``bench.startup_phases`` reads the daemon's N-th *spawn*
instead). Each tree given as ``label=PYTHONPATH`` (``current=`` is the
installed one) runs with the default containment and, with ``--off``, also
with ``containment=off``; trees alternate run by run, so a before / after
comparison shares the machine's mood. Compare medians.

    .venv/bin/python -m bench.start_ab [--n 500] [--reps 9] [--off] [--where DIR]
        [current= base=/tmp/base/src ...]
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from bench import alternate, start_floor


@contextmanager
def _pythonpath(src: str) -> Iterator[None]:
    """``minderd`` (the installed script) imports ``src`` instead, for one run."""
    before = os.environ.get("PYTHONPATH")
    if src:
        os.environ["PYTHONPATH"] = src
    else:
        os.environ.pop("PYTHONPATH", None)
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("PYTHONPATH", None)
        else:
            os.environ["PYTHONPATH"] = before


def one_run(src: str, parent: str, n: int, off: bool) -> dict[str, float]:
    out: dict[str, float] = {}
    with _pythonpath(src):
        for key, containment in (("start_s", None), ("start_off_s", "off"))[: 2 if off else 1]:
            workdir = Path(parent) / f"{key}-{len(os.listdir(parent))}"
            workdir.mkdir()
            out[key] = start_floor.minderd(n, workdir, containment)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.start_ab")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=9)
    parser.add_argument("--off", action="store_true", help="also with containment=off")
    alternate.add_tree_arguments(parser)
    args = parser.parse_args(argv)
    figures = ("start_s", "start_off_s") if args.off else ("start_s",)
    alternate.run_trees(
        args.trees, args.reps, args.where, "start-ab-",
        lambda src, parent: one_run(src, parent, args.n, args.off), figures, 3,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
