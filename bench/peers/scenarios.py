"""The peers scenarios: the same work for minderd, supervisord, Circus, PM2, s6, runit.

Every time comes from the child program's own CLOCK_MONOTONIC stamps or
from pidfds, never from a tool's log format, so one measurement fits every
tool. Every cost (CPU, wake-ups, PSS) is summed over the tool's supervisor
side (bench/peers/proctree.py).

- fleet N: the tool starts on N sleeping programs: seconds until the N-th
  child has started (from the first command, so the daemon's start-up and,
  for PM2, its detaching daemon are in); summed PSS 2 s later; CPU and
  context switches over a quiet window; PSS again after the web UI and
  /metrics were requested (tools that have them); then the tool's own
  stop-all command, timed until every child has exited and the command has
  returned, and the supervisor side's CPU over that time.
- respawn: one program that runs 1.5 s and exits 1 ("crashes"): the gap from
  its exit stamp to the next start, median and p95 (1.5 s is past the 1 s
  under which s6 and runit hold a restart back and PM2 counts it unstable).
- crash loop: one program that exits 1 at once: the median gap, and starts
  per second over a window (defaults decide here, see the table's notes).
- logs: one fast writer (the pre-generated stream spliced to stdout) and 20
  writers of 100-byte lines, one write(2) per line, all held at a gate (a
  FIFO) until every one has started, so the window holds only the capture:
  MiB/s until every byte is in the kept files, supervisor-side CPU per GiB,
  bytes lost or damaged (a log kept only in part by a default rotation is
  checked as the stream's tail); beside them the writers' own CPU per GiB
  and how much of the window the supervisor side spent runnable but
  waiting for a CPU (schedstat's run delay): on a busy machine the line
  writers' MiB/s is decided there, by the CPU share the scheduler gives
  the supervisor, not by what the supervisor costs.
- status N: wall time of the tool's status command, whole process.
- scale N: N sleepers with output thrown away: until all started, status
  command, stop all.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from bench import logstream
from bench.peers import besidefloor, install, proctree
from bench.peers.besidefloor import BesideFloor
from bench.peers.registry import TOOLS
from bench.peers.tool import Launched, Program, Tool
from bench.scenarios.base import Figure, Scenario
from bench.stats import median, percentile

CRASH_AFTER_MS = 1500


def _tool(kind: str) -> Tool:
    return TOOLS[kind]


def read_stamps(path: Path) -> list[tuple[str, int, int]]:
    """(kind, ns, pid) of every complete stamp line the children wrote."""
    try:
        text = path.read_text()
    except FileNotFoundError:
        return []
    out = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit() and parts[2].isdigit():
            out.append((parts[0], int(parts[1]), int(parts[2])))
    return out


def wait_starts(run: Launched, stamps: Path, n: int, deadline: float) -> list[tuple[int, int]]:
    """Wait until ``n`` children stamped a start; their (ns, pid), in time order."""
    while True:
        starts = sorted((ns, pid) for kind, ns, pid in read_stamps(stamps) if kind == "S")
        if len(starts) >= n:
            return starts
        run.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"{len(starts)}/{n} children started by the deadline")
        time.sleep(0.02)


def timed_command(tool: Tool, run: Launched, argv: list[str]) -> tuple[float, str]:
    """(seconds, stdout) of one control command, start to exit."""
    t0 = time.perf_counter()
    res = subprocess.run(
        argv, cwd=run.workdir, capture_output=True, text=True, timeout=300,
        env=tool.command_env(run), stdin=subprocess.DEVNULL, check=False,
    )
    elapsed = time.perf_counter() - t0
    if res.returncode != 0:
        raise RuntimeError(f"{argv[0]} exited {res.returncode}: {res.stderr.strip()[-160:]}")
    return elapsed, res.stdout


def status_once(tool: Tool, run: Launched, n: int) -> float:
    elapsed, out = timed_command(tool, run, tool.status_argv(run))
    up = sum(1 for line in out.splitlines() if tool.running_marker in line)
    if up < n:
        raise RuntimeError(f"{tool.name} status shows {up}/{n} running")
    return elapsed


def stop_all(tool: Tool, run: Launched, pids: list[int]) -> tuple[float, float]:
    """(seconds until every child and the command itself have exited, side CPU ms)."""
    side = list(run.side())
    cpu0 = proctree.cpu_s(side)
    with open(run.workdir / "stop.stderr", "w+b") as err:
        t0 = time.monotonic()
        proc = subprocess.Popen(
            tool.stop_all_argv(run), cwd=run.workdir, stdout=subprocess.DEVNULL,
            stderr=err, env=tool.command_env(run), stdin=subprocess.DEVNULL,
        )
        try:
            done = proctree.wait_exited([*pids, proc.pid], t0 + 120)
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
        cpu_ms = (proctree.cpu_s(side) - cpu0) * 1000
        if proc.returncode != 0:
            err.seek(0)
            raise RuntimeError(f"stop all exited {proc.returncode}: {err.read().decode()[-160:]}")
    return done - t0, cpu_ms


def _start_times(run: Launched, starts: list[tuple[int, int]], n: int) -> dict[str, float]:
    """Seconds from the first command to the first and to the n-th child's start.

    The difference is the spawn phase alone, comparable with the machine's
    fork+exec floor; the first figure is the tool's own start-up.
    """
    return {
        "first_started_s": (starts[0][0] - run.started_ns) / 1e9,
        "started_s": (starts[n - 1][0] - run.started_ns) / 1e9,
    }


def _sleepers(n: int, stamps: Path, log: Path | str | None = None) -> list[Program]:
    return [Program(f"p{i:05d}", ("sleep", str(stamps)), log) for i in range(n)]


def run_fleet(kind: str, workdir: Path, *, n: int, window: float) -> dict[str, float]:
    tool = _tool(kind)
    stamps = workdir / "stamps"
    with tool.launch(workdir, install.child(), _sleepers(n, stamps)) as run:
        starts = wait_starts(run, stamps, n, time.monotonic() + 120)
        time.sleep(2.0)  # startsecs=1 transitions, first log writes
        side = list(run.side())
        out = _start_times(run, starts, n)
        out["pss_mib"] = proctree.pss_mib(side)
        cpu0, ctxt0 = proctree.cpu_s(side), proctree.ctxt(side)
        time.sleep(window)
        out["idle_cpu_ms"] = (proctree.cpu_s(side) - cpu0) * 1000
        out["wakeups_per_s"] = (proctree.ctxt(side) - ctxt0) / window
        out["side_procs"] = float(len(side))
        if tool.use_web_ui(run):
            time.sleep(0.5)
            out["pss_ui_mib"] = proctree.pss_mib(run.side())
        out["stop_s"], out["stop_cpu_ms"] = stop_all(tool, run, [pid for _, pid in starts[:n]])
    return out


def fleet(n: int, window: float) -> Scenario:
    return Scenario(
        name=f"fleet N={n}",
        group="fleet",
        run=lambda kind, wd: run_fleet(kind, wd, n=n, window=window),
        figures=(
            Figure("first_started_s", "first command -> first child started", "s"),
            Figure("started_s", "first command -> all children started", "s"),
            Figure("pss_mib", "summed PSS, supervisor side", "MiB"),
            Figure("side_procs", "supervisor-side processes", "procs"),
            Figure("idle_cpu_ms", f"idle CPU over {window:.0f}s", "ms"),
            Figure("wakeups_per_s", "idle context switches", "/s"),
            Figure("pss_ui_mib", "summed PSS after web UI + /metrics", "MiB"),
            Figure("stop_s", "stop-all command -> every child gone", "s"),
            Figure("stop_cpu_ms", "supervisor-side CPU during stop all", "ms"),
        ),
        timeout=window + 400,
        keep_until_end=True,  # 1,000 AUTO logs or 500 service dirs a run
    )


def _gaps(stamps: Path) -> tuple[list[float], list[int]]:
    """Exit -> next start gaps (ms) and every start's ns, in order."""
    gaps, starts = [], []
    last_exit = None
    for kind, ns, _ in sorted(read_stamps(stamps), key=lambda s: s[1]):
        if kind == "E":
            last_exit = ns
        elif kind == "S":
            starts.append(ns)
            if last_exit is not None:
                gaps.append((ns - last_exit) / 1e6)
                last_exit = None
    return gaps, starts


def run_respawn(kind: str, workdir: Path, *, restarts: int) -> dict[str, float]:
    tool = _tool(kind)
    stamps = workdir / "stamps"
    program = Program("crasher", ("crash", str(CRASH_AFTER_MS), str(stamps)))
    cap = restarts * (CRASH_AFTER_MS / 1000 + 8) + 30
    with tool.launch(workdir, install.child(), [program]) as run:
        deadline = time.monotonic() + cap
        while len(_gaps(stamps)[0]) < restarts:
            run.check_alive()
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(_gaps(stamps)[0])}/{restarts} restarts in {cap:.0f}s")
            time.sleep(0.05)
    gaps = _gaps(stamps)[0][:restarts]
    return {"gap_ms_median": median(gaps), "gap_ms_p95": percentile(gaps, 95)}


def respawn(restarts: int) -> Scenario:
    return Scenario(
        name=f"respawn after {CRASH_AFTER_MS / 1000:g}s x{restarts}",
        group="respawn",
        run=lambda kind, wd: run_respawn(kind, wd, restarts=restarts),
        figures=(
            Figure("gap_ms_median", "crash -> next start, median", "ms"),
            Figure("gap_ms_p95", "crash -> next start, p95", "ms"),
        ),
        timeout=restarts * 12 + 120,
    )


def run_crashloop(kind: str, workdir: Path, *, window: float) -> dict[str, float]:
    tool = _tool(kind)
    stamps = workdir / "stamps"
    with tool.launch(workdir, install.child(), [Program("flap", ("exit", str(stamps)))]) as run:
        first = wait_starts(run, stamps, 1, time.monotonic() + 60)[0][0]
        end_ns = first + int(window * 1e9)
        while time.monotonic_ns() < end_ns + 50_000_000:
            run.check_alive()
            time.sleep(0.05)
    gaps, starts = _gaps(stamps)
    in_window = [ns for ns in starts if ns < end_ns]
    return {
        "gap_ms_median": median(gaps) if gaps else float("nan"),
        "starts_per_s": len(in_window) / window,
    }


def crashloop(window: float) -> Scenario:
    return Scenario(
        name="crash loop (exit at once)",
        group="crashloop",
        run=lambda kind, wd: run_crashloop(kind, wd, window=window),
        figures=(
            Figure("gap_ms_median", "exit -> next start, median", "ms"),
            Figure("starts_per_s", f"starts per second over {window:.0f}s", "/s"),
        ),
        timeout=window + 120,
    )


def _complete(files: list[Path], last: bytes) -> bool:
    """The stream's last line ends the newest non-empty kept file (a logger may
    have just rotated, leaving an empty ``current``)."""
    for path in reversed(files):
        try:
            with open(path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                if size == 0:
                    continue
                f.seek(max(0, size - len(last)))
                return f.read() == last
        except FileNotFoundError:
            continue
    return False


def run_logs(
    kind: str, workdir: Path, *, writers: int, per_child: int, lines: bool
) -> dict[str, float]:
    tool = _tool(kind)
    stamps, gate = workdir / "stamps", workdir / "gate"
    os.mkfifo(gate)
    if lines:
        args: tuple[str, ...] = ("lines", str(per_child // logstream.LINE))
    else:
        args = ("stream", str(logstream.write_file(workdir / "stream.bin", per_child)))
    programs = [
        Program(f"w{i:02d}", (*args, str(stamps), str(gate)), workdir / "logs" / f"w{i:02d}")
        for i in range(writers)
    ]
    (workdir / "logs").mkdir()
    last = logstream.last_line(per_child)
    with tool.launch(workdir, install.child(), programs) as run:
        wait_starts(run, stamps, writers, time.monotonic() + 60)
        time.sleep(0.5)  # loggers (s6-log, svlogd) and log files opened
        logstream.prepare_memory(workdir / "scratch.bin", per_child * writers)
        side, writing = list(run.side()), list(run.children())
        cpu0, wait0 = proctree.cpu_s(side), proctree.wait_s(side)
        writers0 = proctree.cpu_s(writing)
        t0 = time.monotonic()
        gate_fd = os.open(gate, os.O_WRONLY)  # every writer blocks opening it for reading
        try:
            pending = list(programs)
            cap = 120 + per_child * writers / 2e6
            while pending:
                pending = [p for p in pending if not _complete(tool.kept_logs(run, p), last)]
                if pending and time.monotonic() - t0 > cap:
                    raise TimeoutError(f"{len(pending)} log(s) incomplete after {cap:.0f}s")
                if pending:
                    run.check_alive()
                    time.sleep(0.02)
            elapsed = time.monotonic() - t0
            cpu = proctree.cpu_s(side) - cpu0
            waited = proctree.wait_s(side) - wait0
            writers_cpu = proctree.cpu_s(writing) - writers0
        finally:
            os.close(gate_fd)
        lost = sum(logstream.lost_files(tool.kept_logs(run, p), per_child) for p in programs)
    gib = per_child * writers / 2**30
    return {
        "mib_s": gib * 1024 / elapsed,
        "cpu_s_per_gib": cpu / gib,
        "writers_cpu_s_per_gib": writers_cpu / gib,
        "side_wait_pct": 100 * waited / elapsed,
        "lost_bytes": float(lost),
    }


def logs(writers: int, per_child: int, *, lines: bool, beside_floor: bool = False) -> Scenario:
    """``beside_floor``: the one fast writer's runs each get the drop-behind
    splice floor sampled next to them (bench/peers/besidefloor.py)."""
    how = "line writers (write(2) per 100 B line)" if lines else "fast writer (splice)"

    def run(kind: str, wd: Path) -> dict[str, float]:
        return run_logs(kind, wd, writers=writers, per_child=per_child, lines=lines)

    figures = (
        Figure("mib_s", "throughput until all bytes kept", "MiB/s"),
        Figure("cpu_s_per_gib", "supervisor-side CPU per GiB", "s"),
        Figure("writers_cpu_s_per_gib", "the writers' own CPU per GiB", "s"),
        Figure("side_wait_pct", "supervisor side runnable, waiting for a CPU", "% of window"),
        Figure("lost_bytes", "bytes lost or damaged", "B"),
    )
    paired = beside_floor and writers == 1 and not lines
    return Scenario(
        name=f"logs {writers}x{per_child / 1e6:g}MB {how}",
        group="logs",
        run=BesideFloor(run, per_child) if paired else run,
        figures=figures + besidefloor.FIGURES if paired else figures,
        timeout=300 + writers * per_child / 1e6 * (3 if paired else 1),
    )


def run_status(kind: str, workdir: Path, *, n: int, runs: int) -> dict[str, float]:
    tool = _tool(kind)
    stamps = workdir / "stamps"
    with tool.launch(workdir, install.child(), _sleepers(n, stamps)) as run:
        wait_starts(run, stamps, n, time.monotonic() + 180)
        time.sleep(1.5)  # past startsecs=1: every program RUNNING
        times = [status_once(tool, run, n) * 1000 for _ in range(runs)]
    return {"status_ms": median(times)}


def status(n: int, runs: int) -> Scenario:
    return Scenario(
        name=f"status N={n}",
        group="status",
        run=lambda kind, wd: run_status(kind, wd, n=n, runs=runs),
        figures=(Figure("status_ms", "status command, whole process", "ms"),),
        timeout=300 + runs * 20,
    )


def run_scale(kind: str, workdir: Path, *, n: int, cap: float, runs: int) -> dict[str, float]:
    tool = _tool(kind)
    stamps = workdir / "stamps"
    with tool.launch(workdir, install.child(), _sleepers(n, stamps, "none")) as run:
        starts = wait_starts(run, stamps, n, time.monotonic() + cap)
        out = _start_times(run, starts, n)
        time.sleep(1.5)
        out["status_ms"] = median([status_once(tool, run, n) * 1000 for _ in range(runs)])
        out["stop_s"], out["stop_cpu_ms"] = stop_all(tool, run, [pid for _, pid in starts[:n]])
    return out


def scale(n: int, cap: float, runs: int) -> Scenario:
    return Scenario(
        name=f"scale N={n} (output discarded)",
        group="scale",
        run=lambda kind, wd: run_scale(kind, wd, n=n, cap=cap, runs=runs),
        figures=(
            Figure("first_started_s", "first command -> first child started", "s"),
            Figure("started_s", "first command -> all children started", "s"),
            Figure("status_ms", "status command, whole process", "ms"),
            Figure("stop_s", "stop-all command -> every child gone", "s"),
            Figure("stop_cpu_ms", "supervisor-side CPU during stop all", "ms"),
        ),
        timeout=cap + 600,
        max_reps=1,
    )
