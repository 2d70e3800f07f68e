"""``python -m bench.cgroup_spawn``: starting each child in a new leaf cgroup, three ways.

minderd makes each child's leaf, moves itself in, spawns, and moves back
(engine/cgroups.py): two migrations per child. ``clone3`` with
``CLONE_INTO_CGROUP`` (Linux 5.7+; glibc 2.39 wraps it as
``posix_spawnattr_setcgroup_np``) starts the child in the leaf with no
migration at all, so it looks like the way to make containment cost nothing
at start-up. This measures it in C, where nothing else is in the way
(bench/peers/cgroup_spawn.c: N children of /bin/sleep started back to back
and kept running, as a supervisor's are), alternated mode by mode and rep by
rep, and prints the median microseconds per child:

- ``bare``: posix_spawn, no leaf (the floor);
- ``moves``: minderd's way;
- ``clone_into``: clone3 with ``CLONE_VFORK | CLONE_INTO_CGROUP``, then execve;
- ``clone_plain``: the same clone3 without the flag, so that
  ``clone_into - clone_plain`` is what the flag itself costs, and
  ``moves - bare`` what the two migrations cost.

Needs root and a writable cgroup v2 (says why not and exits 1 otherwise).

    .venv/bin/python -m bench.cgroup_spawn [--n 500] [--reps 5]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bench import contained
from bench.peers import install
from bench.stats import median

MODES = ("bare", "moves", "clone_into", "clone_plain")
SOURCE = Path(__file__).parent / "peers" / "cgroup_spawn.c"


def one_run(exe: Path, mode: str, n: int) -> float:
    """Microseconds per child for one run of ``mode``, in a subtree made and removed here."""
    subtree = contained.leaf_parent(f"cgroup-spawn-{os.getpid()}-{mode}")
    os.mkdir(subtree)
    try:
        out = subprocess.run(
            [str(exe), mode, str(n), subtree], capture_output=True, text=True, timeout=120,
            check=False,
        )
    finally:
        contained.remove_leaves(subtree)
    if out.returncode != 0:
        raise RuntimeError(f"cgroup_spawn {mode}: {out.stderr.strip() or out.returncode}")
    return float(out.stdout.split()[1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.cgroup_spawn")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args(argv)
    if not contained.leaf_parent("probe"):
        print("no writable cgroup v2 here (run as root on a cgroup v2 host)", file=sys.stderr)
        return 1
    exe = install.compiled(SOURCE)
    runs: dict[str, list[float]] = {mode: [] for mode in MODES}
    for _ in range(args.reps):
        for mode in MODES:
            runs[mode].append(one_run(exe, mode, args.n))
        print("  ".join(f"{mode}={values[-1]:.1f}" for mode, values in runs.items()), flush=True)
    mid = {mode: median(values) for mode, values in runs.items()}
    print("median us per child  " + "  ".join(f"{mode}={value:.1f}" for mode, value in mid.items()))
    print(f"the two moves cost {mid['moves'] - mid['bare']:.1f} us a child; "
          f"CLONE_INTO_CGROUP costs {mid['clone_into'] - mid['clone_plain']:.1f} us a child")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
