"""``python -m bench.line_latency``: how long a line takes from write(2) to its log.

What read batching (``engine/readbatch.py``) costs, measured rather than
argued: minderd supervises ``--writers`` busy children (one ``write(2)``
per 100-byte line, as fast as each can, or ~2 MB/s each with ``--paced``,
for ``--seconds``) and one quiet
child (a line every 10 ms). Every line carries the writer's
CLOCK_MONOTONIC; this process tails the quiet log and ``--tailed`` busy
logs, polling every 0.5 ms, and takes each line's latency as the time it
was first seen in the file minus its stamp (the poll adds up to 0.5 ms
to every figure alike). Also printed: the daemon's CPU per GiB over the
writing (from the moment every log exists to ``--seconds`` later, before
this process asks it anything), and a check that every tailed log holds
whole lines in stamp order.

    .venv/bin/python -m bench.line_latency [--writers 20] [--seconds 3] [--reps 3] [--paced]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench import confgen, daemons, procfs
from bench.linetail import LineTail
from bench.stats import median, percentile

CHILD = Path(__file__).parent / "children" / "stamped_lines.py"
POLL_S = 0.0005


class Tail(LineTail):
    """New complete lines of one log file, with the latency of each."""

    def __init__(self, path: Path) -> None:
        super().__init__(path)
        self.latencies_ms: list[float] = []
        self.last_stamp = 0
        self.bad = 0  # lines out of order or not of the writer's shape

    def poll(self) -> None:
        lines = self.read_lines()
        now = time.monotonic_ns()
        for line in lines:
            stamp = int(line[:20]) if len(line) == 99 and line[:20].isdigit() else -1
            if stamp < self.last_stamp:
                self.bad += 1
                continue
            self.last_stamp = stamp
            self.latencies_ms.append((now - stamp) / 1e6)


def one_run(
    workdir: Path, writers: int, seconds: float, tailed: int, mode: str
) -> dict[str, float]:
    py = sys.executable
    opts: dict[str, object] = {"startsecs": 0, "autorestart": False, "autostart": True}
    body = [confgen.program("quiet", f"{py} {CHILD} quiet {seconds}", **opts)]
    body += [
        confgen.program(f"busy{i:02d}", f"{py} {CHILD} {mode} {seconds}", **opts)
        for i in range(writers)
    ]
    conf = confgen.write(workdir, "\n".join(body), programs=writers + 1)
    logs = workdir / "logs"
    with daemons.running("minderd", conf) as daemon:
        tails = {"quiet": [Tail(p) for p in _find(logs, ["quiet"])]}
        tails["busy"] = [Tail(p) for p in _find(logs, [f"busy{i:02d}" for i in range(tailed)])]
        cpu0, bytes0 = procfs.cpu_seconds_precise(daemon.pid), _written(logs)
        deadline = time.monotonic() + seconds + 30
        next_check = time.monotonic() + seconds - 0.5
        cpu = written = 0.0
        while time.monotonic() < deadline:
            for group in tails.values():
                for tail in group:
                    tail.poll()
            if time.monotonic() > next_check:  # every writer done?
                if not cpu:  # the writing window ends (the writers are still at it)
                    cpu = procfs.cpu_seconds_precise(daemon.pid) - cpu0
                    written = _written(logs) - bytes0
                next_check += 0.1
                infos = daemon.call("supervisor.getAllProcessInfo")
                assert isinstance(infos, list)
                if all(info["state"] != 20 for info in infos):  # none RUNNING
                    break
            time.sleep(POLL_S)
        for group in tails.values():
            for tail in group:
                tail.poll()
        total = _written(logs)
    out: dict[str, float] = {"daemon_cpu_s_per_gib": cpu / (written / 2**30)}
    for kind, group in tails.items():
        lat = [x for tail in group for x in tail.latencies_ms]
        out[f"{kind}_p50_ms"] = median(lat)
        out[f"{kind}_p99_ms"] = percentile(lat, 99)
        out[f"{kind}_max_ms"] = max(lat)
        out[f"{kind}_bad_lines"] = float(sum(t.bad for t in group))
    out["mib"] = total / 2**20
    return out


def _written(logs: Path) -> int:
    return sum(p.stat().st_size for p in logs.glob("busy*-stdout*"))


def _find(logs: Path, names: list[str]) -> list[Path]:
    """The AUTO stdout log of each program (its name is ``name-stdout---...``)."""
    found: list[Path] = []
    deadline = time.monotonic() + 30
    for name in names:
        while not (hits := sorted(logs.glob(f"{name}-stdout*"))):
            if time.monotonic() > deadline:
                raise daemons.BenchError(f"no log for {name}")
            time.sleep(0.01)
        found.append(hits[0])
    return found


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.line_latency")
    ap.add_argument("--writers", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--tailed", type=int, default=3, help="busy logs tailed for latency")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument(
        "--paced", action="store_true",
        help="busy writers sleep 1 ms every 20 lines (~2 MB/s each) instead of spinning",
    )
    args = ap.parse_args(argv)
    daemons.compile_minder_bytecode()
    runs = []
    for rep in range(args.reps):
        with tempfile.TemporaryDirectory(prefix="minder-latency-") as tmp:
            result = one_run(
                Path(tmp), args.writers, args.seconds, args.tailed,
                "paced" if args.paced else "busy",
            )
        runs.append(result)
        print(f"rep {rep + 1}: " + ", ".join(f"{k}={v:.4g}" for k, v in result.items()))
    keys = runs[0].keys()
    print("median: " + ", ".join(f"{k}={median([r[k] for r in runs]):.4g}" for k in keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
