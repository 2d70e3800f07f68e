"""``python -m bench --peers``: find or install the peers, run the plan, print the table."""

from __future__ import annotations

import argparse
import datetime as dt
import shlex
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bench import cli, contained, daemons, floors, start_floor
from bench.peers import install, plan
from bench.peers.registry import TOOLS
from bench.sizes import FULL as BASE_SIZES

DEFAULT_JSON = Path(__file__).parents[1] / "results" / "peers.json"


def available(kinds: list[str], say: Callable[[str], None]) -> tuple[list[str], dict[str, str]]:
    """The tools that can run here, and why each other one cannot."""
    usable, skipped = [], {}
    for kind in kinds:
        why = TOOLS[kind].problem()
        if why is None:
            usable.append(kind)
        else:
            skipped[kind] = why
            say(f"  {kind}: skipped, {why}")
    return usable, skipped


def child_floor(child: Path) -> dict[str, float]:
    """The respawn floor with the C child: run back to back by a bare loop."""
    import tempfile

    workdir = Path(tempfile.mkdtemp(prefix="bench-child-floor-"))
    try:
        median, p95 = floors.restart_gap_ms(
            workdir, argv=[str(child), "exit", str(workdir / "stamps")]
        )
    finally:
        import shutil

        shutil.rmtree(workdir, ignore_errors=True)
    return {"child_gap_ms_median": median, "child_gap_ms_p95": p95}


def notes(kinds: list[str], skipped: dict[str, str]) -> str:
    lines = [f"- {k}: {TOOLS[k].notes}" for k in kinds if TOOLS[k].notes]
    lines += [f"- {k}: skipped ({why})" for k, why in skipped.items()]
    return "\n".join(lines)


def main(args: argparse.Namespace, argv: list[str] | None, *, use_alarm: bool = True) -> int:
    say = cli.say
    wanted = list(TOOLS) if args.daemons is None else [
        k.strip() for k in args.daemons.split(",") if k.strip()
    ]
    bad = [k for k in wanted if k not in TOOLS]
    if bad:
        print(f"unknown tool(s): {', '.join(bad)} (known: {', '.join(TOOLS)})", file=sys.stderr)
        return 2
    sizes = plan.QUICK if args.quick else plan.FULL
    if args.n:
        sizes = plan.tiny(args.n)
    reps = args.reps or 2
    scenarios = [
        s for s in plan.plan(sizes, beside_floor=not args.no_floors)
        if not args.only or s.group in args.only
    ]
    if use_alarm:
        daemons.become_subreaper()
    daemons.raise_fd_limit(4 * sizes.scale_n + 1024)
    daemons.compile_minder_bytecode()
    try:
        child = install.child()
    except install.Missing as exc:
        print(f"cannot build the child program: {exc}", file=sys.stderr)
        return 2
    started = dt.datetime.now(dt.UTC)
    command = "python -m bench " + shlex.join(argv if argv is not None else sys.argv[1:])
    say(f"# {command}  ({started:%Y-%m-%d %H:%M} UTC, reps={reps}, child {child})")
    kinds, skipped = available(wanted, say)
    floor_sizes = replace(BASE_SIZES, log_bytes=sizes.log_bytes, stopall_n=sizes.fleet_n)
    floor_values = {} if args.no_floors else floors.measure(floor_sizes, say)
    if floor_values:
        floor_values.update(child_floor(child))
        say(f"  C child back to back: gap median {floor_values['child_gap_ms_median']:.2f} ms")
        floor_values["asyncio_start_s"] = start_floor.asyncio_start_s(sizes.fleet_n)
        say(f"  an asyncio process starting {sizes.fleet_n} children (bench.start_floor): "
            f"{floor_values['asyncio_start_s']:.3f} s from its command")
        floor_values["asyncio_contained_start_s"] = start_floor.contained_start_s(sizes.fleet_n)
        placement = floor_values["asyncio_contained_start_s"] - floor_values["asyncio_start_s"]
        say(f"  the same, each child born in a leaf cgroup of its own: "
            f"{floor_values['asyncio_contained_start_s']:.3f} s, so placement's floor is "
            f"{placement:.3f} s" + ("" if contained.leaf_parent("x") else " (no cgroup v2 here)"))
    meta = {
        "command": command,
        "started": started.isoformat(timespec="seconds"),
        "reps": reps,
        "sizes": {k: getattr(sizes, k) for k in sizes.__slots__},
        "floors": floor_values,
        "skipped": skipped,
        "notes": {k: TOOLS[k].notes for k in kinds},
    }
    json_path = args.json if args.json != cli.DEFAULT_JSON else DEFAULT_JSON
    cli.run_and_report(
        scenarios, kinds, reps, meta=meta, json_path=json_path, use_alarm=use_alarm,
        footer=notes(kinds, skipped),
    )
    return 0 if kinds else 1

