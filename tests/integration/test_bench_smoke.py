"""Keep bench/ from rotting: one tiny scenario against both daemons.

No timing is asserted (the machine is shared and noisy); we check that the
harness runs, every figure gets a value for both daemons, the log checker
really detects damage, and nothing is left running afterwards.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import pytest
from bench import confgen, daemons, logstream, procfs, runner
from bench.scenarios import plan
from bench.sizes import QUICK, tiny

N = 5


def _minderd_problem() -> str | None:
    """Why minderd cannot serve a one-program config, or None if it can."""
    workdir = Path(tempfile.mkdtemp(prefix="bench-probe-"))
    conf = confgen.write(workdir, confgen.sleepers(1, startsecs=0), programs=1)
    try:
        with daemons.running("minderd", conf, ready_timeout=10, grace=5):
            return None
    except Exception as exc:
        return f"minderd cannot start and serve XML-RPC on its unix socket: {exc}"


def _leftovers() -> dict[int, int]:
    deadline = time.monotonic() + 5
    while (left := procfs.descendants(os.getpid())) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_stream_checker_detects_damage(tmp_path: Path) -> None:
    total = 3 * logstream.BLOCK + 500
    log = tmp_path / "w.log"
    with open(log, "wb") as f:
        for chunk in logstream.chunks(0, total):
            f.write(chunk)
    assert logstream.lost_bytes(log, total, rotated=False) == 0
    data = bytearray(log.read_bytes())
    data[12345] ^= 1
    log.write_bytes(bytes(data))
    assert logstream.lost_bytes(log, total, rotated=False) > 0
    log.write_bytes(bytes(data[:-100]))
    assert logstream.lost_bytes(log, total, rotated=False) > 0
    # Rotation: the kept files, oldest first, must be the stream's tail.
    tail = b"".join(logstream.chunks(total - 250_100, total))
    (tmp_path / "w.log.1").write_bytes(tail[:200_000])
    log.write_bytes(tail[200_000:])
    assert logstream.lost_bytes(log, total, rotated=True) == 0
    assert logstream.lost_bytes(log, total, rotated=False) == total - len(tail)


def test_spawn_scenario_runs_against_both_daemons() -> None:
    problem = _minderd_problem()
    if problem:
        pytest.skip(problem)
    scenario = next(s for s in plan(tiny(QUICK, N)) if s.group == "spawn")
    results = runner.run_all(
        [scenario], ["minderd", "supervisord"], reps=1, use_alarm=False, log=lambda _: None
    )
    for kind, outcome in results[scenario.name].items():
        assert not outcome.errors, f"{kind}: {outcome.errors}"
        for fig in scenario.figures:
            assert len(outcome.values.get(fig.key, [])) == 1, f"{kind} has no {fig.key}"
    assert not _leftovers(), "the bench left processes running"
