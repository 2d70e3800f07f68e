"""The drop-behind splice floor, sampled on both sides of each fast-writer run.

Why: on this shared VM the floor swings between invocations of the bench
(1,377 MiB/s at 07:44 and 1,628 at 10:39 on the same day, quiet both times)
and within one (1,197-2,169 MiB/s in eight samples over three minutes), while
the daemons' own figures move less. The floors line is measured once, at
the start of an invocation, so "minderd's median over the floors line's"
compared the daemon with the machine of other minutes.

So the fast writer's scenario runs the very same floor code
(``floors.splice_floor(..., drop=True)`` on the same stream file) right
before and right after each of its runs, and reports that run's MiB/s and
CPU per GiB as ratios of the two samples' mean. Both sides, so that no
place in the sequence favours either: in 8 pairs alternating the order
(12:38-12:41 UTC) each of the 4 floors sampled just after a minderd run
was faster than each of the 4 sampled just before one (median 1,989 vs
1,359 MiB/s), while minderd's own figure did not depend on its place; in
the 6 bracketed runs that followed, the sides were 1,624 after and 1,587
before. The table's medians of the per-run ratios compare like with like;
each floor sample is reported too, and the floors line is still printed,
so figures taken the old way stay comparable.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from bench import floors
from bench.scenarios.base import Figure, RunFn

FIGURES = (
    Figure("floor_before_mib_s", "drop-behind splice floor, just before this run", "MiB/s"),
    Figure("floor_after_mib_s", "the same floor, just after this run", "MiB/s"),
    Figure("floor_cpu_s_per_gib", "those two floors' CPU per GiB (mean)", "s"),
    Figure("mib_s_vs_floor", "MiB/s / the mean of the floors beside it", "x"),
    Figure("cpu_vs_floor", "CPU per GiB / the mean of the floors beside it", "x"),
)


class BesideFloor:
    """Wrap a fast-writer run with the splice floor before and after it."""

    def __init__(self, run: RunFn, total: int) -> None:
        self._run = run
        self._total = total

    def __call__(self, kind: str, workdir: Path) -> dict[str, float]:
        before = self._floor(workdir)
        values = self._run(kind, workdir)
        # The run's logs were checked: they go, as the previous run's logs
        # had gone before the first floor.
        shutil.rmtree(workdir / "logs", ignore_errors=True)
        after = self._floor(workdir)
        if before is None or after is None:
            return values
        mib_s = (before[0] + after[0]) / 2
        cpu = (before[1] + after[1]) / 2
        return {
            **values,
            "floor_before_mib_s": before[0],
            "floor_after_mib_s": after[0],
            "floor_cpu_s_per_gib": cpu,
            "mib_s_vs_floor": values["mib_s"] / mib_s,
            "cpu_vs_floor": values["cpu_s_per_gib"] / cpu,
        }

    def _floor(self, workdir: Path) -> tuple[float, float] | None:
        """The floor's (MiB/s, CPU s/GiB); None (the run keeps its own figures) if it fails."""
        try:
            return floors.splice_floor(workdir, self._total, drop=True)
        except Exception as exc:  # a floor is context, never a reason to lose the run
            print(f"  splice floor beside the run: FAILED {exc!r}", file=sys.stderr)
            return None
