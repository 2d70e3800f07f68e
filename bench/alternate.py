"""Source trees alternated run by run, for the A/B tools (``bench.startup_phases``,
``bench.stopall_phases``): one place for the ``label=PYTHONPATH`` arguments,
the compile-once, the shared parent dir and the per-run and median lines.

Why alternate: on this shared VM the machine drifts between minutes, so
runs of tree A then tree B then A again put the drift on both sides.
"""

from __future__ import annotations

import argparse
import compileall
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path

from bench.stats import median

RunFn = Callable[[str, str], dict[str, float]]  # (tree's PYTHONPATH, parent dir) -> figures


def add_tree_arguments(parser: argparse.ArgumentParser) -> None:
    """``--where`` and the positional ``label=PYTHONPATH`` trees (empty: this checkout)."""
    parser.add_argument("--where", default=tempfile.gettempdir(), help="parent of the workdirs")
    parser.add_argument("trees", nargs="*", default=["current="], help="label=PYTHONPATH")


def run_trees(
    specs: Sequence[str],
    reps: int,
    where: str,
    prefix: str,
    one_run: RunFn,
    figures: Sequence[str],
    digits: int,
) -> dict[str, list[dict[str, float]]]:
    """Run ``one_run`` for each tree in turn, ``reps`` rounds; print each run and the medians."""
    trees = [(label, src) for label, _, src in (spec.partition("=") for spec in specs)]
    for _, src in trees:  # PYTHONDONTWRITEBYTECODE: compile once, not in every run
        if src:
            compileall.compile_dir(src, quiet=1)
    results: dict[str, list[dict[str, float]]] = {label: [] for label, _ in trees}
    kept = Path(tempfile.mkdtemp(prefix=prefix, dir=where))
    try:
        for _ in range(reps):
            for label, src in trees:
                run = one_run(src, str(kept))
                results[label].append(run)
                shown = ", ".join(f"{k}={v:.{digits}f}" for k, v in run.items())
                print(f"{label:10s} {shown}", flush=True)
    finally:
        shutil.rmtree(kept, ignore_errors=True)
    for label, runs in results.items():
        shown = ", ".join(f"{k}={median([r[k] for r in runs]):.{digits}f}" for k in figures)
        print(f"{label:10s} median {shown}")
    return results
