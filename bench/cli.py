"""``python -m bench``: parse options, run the plan, print and save results."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from pathlib import Path
from typing import Any

from bench import confgen, daemons, floors, report, runner
from bench.peers.plan import GROUPS as PEER_GROUPS
from bench.scenarios import GROUPS, plan
from bench.scenarios.base import Scenario
from bench.sizes import FULL, QUICK, tiny

DEFAULT_JSON = Path(__file__).parent / "results" / "latest.json"


def parse(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(
        prog="python -m bench",
        description="Run minderd and supervisord 4.3 side by side on the same configs.",
    )
    ap.add_argument("--quick", action="store_true", help="fewer reps, smaller N (a few minutes)")
    ap.add_argument(
        "--peers", action="store_true",
        help="run the peers plan: minderd, supervisord, Circus, PM2, s6 and runit"
        " (installed into a bench-only cache on first use)",
    )
    ap.add_argument(
        "--only", action="append", choices=GROUPS + PEER_GROUPS, metavar="SCENARIO",
        help=f"run only this scenario (repeatable): {', '.join(GROUPS)};"
        f" with --peers: {', '.join(PEER_GROUPS)}",
    )
    ap.add_argument("--reps", type=int, help="repetitions per daemon (default 3, quick 2)")
    ap.add_argument(
        "--daemons",
        help="comma-separated daemons to run (default minderd,supervisord;"
        " with --peers every tool)",
    )
    ap.add_argument("--n", type=int, help="set every program count to N (smoke tests)")
    ap.add_argument("--no-floors", action="store_true", help="skip the machine floors")
    ap.add_argument("--json", type=Path, default=DEFAULT_JSON, help="where to write the results")
    return ap.parse_args(argv)


def say(message: str) -> None:
    """Print and flush, so a run redirected to a file shows progress."""
    print(message, flush=True)


def main(argv: list[str] | None = None, *, use_alarm: bool = True) -> int:
    args = parse(argv)
    if args.peers:
        from bench.peers import run

        return run.main(args, argv, use_alarm=use_alarm)
    kinds = [k.strip() for k in (args.daemons or "minderd,supervisord").split(",") if k.strip()]
    bad = [k for k in kinds if k not in daemons.DAEMONS]
    if bad:
        print(f"unknown daemon(s): {', '.join(bad)}", file=sys.stderr)
        return 2
    sizes = QUICK if args.quick else FULL
    if args.n:
        sizes = tiny(sizes, args.n)
    reps = args.reps or (2 if args.quick else 3)
    scenarios = [s for s in plan(sizes) if not args.only or s.group in args.only]
    if use_alarm:
        daemons.become_subreaper()
    daemons.raise_fd_limit(confgen.min_fds(max(sizes.scale_n, *sizes.spawn_ns, sizes.rpc_n)))
    daemons.compile_minder_bytecode()
    started = dt.datetime.now(dt.UTC)
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    say(f"# {command}  ({started:%Y-%m-%d %H:%M} UTC, reps={reps}, daemons={','.join(kinds)})")
    floor_values = {} if args.no_floors else floors.measure(sizes, say)
    meta = {
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "reps": reps,
        "sizes": {k: getattr(sizes, k) for k in sizes.__slots__},
        "floors": floor_values,
    }
    results = run_and_report(
        scenarios, kinds, reps, meta=meta, json_path=args.json, use_alarm=use_alarm
    )
    failed = sum(len(o.errors) for per in results.values() for o in per.values())
    return 1 if failed and not any(
        o.values for per in results.values() for o in per.values()
    ) else 0


def run_and_report(
    scenarios: list[Scenario],
    kinds: list[str],
    reps: int,
    *,
    meta: dict[str, Any],
    json_path: Path,
    use_alarm: bool,
    footer: str = "",
) -> runner.Results:
    """Run the scenarios, print the floors, the table and ``footer``; save the JSON."""

    def save(partial: runner.Results) -> None:
        # Saved after every scenario, so an interrupted run keeps what it measured.
        report.write_json(json_path, scenarios, partial, kinds, meta)

    results = runner.run_all(
        scenarios, kinds, reps, use_alarm=use_alarm, log=say, after_each=save
    )
    print()
    if meta["floors"]:
        print(floors.describe(meta["floors"]))
        print()
    print(report.table(scenarios, results, kinds))
    if footer:
        print()
        print(footer)
    save(results)
    print(f"\nresults written to {json_path}")
    return results
