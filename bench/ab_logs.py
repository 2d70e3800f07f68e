"""``python -m bench.ab_logs``: the peers bench's log scenario, two minder trees, alternating.

On a machine shared with other work one run says little; what a change
to the capture path is worth shows in back-to-back pairs of the same
scenario, base and change alternating (ABBA…), and their medians. Each
tree is a ``src`` directory (e.g. of a ``git worktree`` at each commit);
minderd runs with ``PYTHONPATH`` pointing at it, everything else (the
bench, the child, the checks) is this checkout's.

    .venv/bin/python -m bench.ab_logs BASE_SRC CHANGE_SRC [--pairs 6] [--fast]

Without ``--fast``: 20 children writing 5 MB of 100-byte lines, one
``write(2)`` each; with it: one child splicing a 500 MB stream.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

from bench import daemons
from bench.peers.scenarios import run_logs
from bench.stats import median


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.ab_logs")
    ap.add_argument("base", help="src directory of the base tree")
    ap.add_argument("change", help="src directory of the changed tree")
    ap.add_argument("--pairs", type=int, default=6)
    ap.add_argument("--fast", action="store_true", help="the one fast writer instead")
    args = ap.parse_args(argv)
    trees = {"base": args.base, "change": args.change}
    daemons.raise_fd_limit(4096)
    results: dict[str, list[dict[str, float]]] = {k: [] for k in trees}
    for pair in range(args.pairs):
        for kind in ("base", "change") if pair % 2 == 0 else ("change", "base"):
            os.environ["PYTHONPATH"] = trees[kind]
            with tempfile.TemporaryDirectory(prefix="minder-ab-") as tmp:
                if args.fast:
                    r = run_logs("minderd", Path(tmp), writers=1, per_child=500_000_000,
                                 lines=False)
                else:
                    r = run_logs("minderd", Path(tmp), writers=20, per_child=5_000_000,
                                 lines=True)
            results[kind].append(r)
            print(f"pair {pair + 1} {kind:6}: " + ", ".join(f"{k}={v:.4g}" for k, v in r.items()),
                  flush=True)
    for kind, runs in results.items():
        print(f"median {kind:6}: " + ", ".join(
            f"{k}={median([r[k] for r in runs]):.4g}" for k in runs[0]
        ))
    return 0


if __name__ == "__main__":
    sys.exit(main())
