"""``python -m bench.start_floor``: the least a Python supervisor can take to start N programs.

The fleet scenario's ``first command -> all children started`` is held to
the fork+exec floor (N spawns of /bin/true by a bare loop, already running).
A supervisor written in Python also starts an interpreter and imports what
it runs on before its first spawn. This measures, in one invocation and
alternated rep by rep, the same figure (command -> the N-th child's own
start stamp, the bench's compiled child in ``sleep`` mode) for:

- ``fork_exec``: the issue's floor, N x (posix_spawn + waitpid of /bin/true)
  in this process (``floors.spawn_rate``'s loop, N times);
- ``bare_python``: ``python -S`` that posix_spawns the N children, each in
  its own session with stdout and stderr on pipes it keeps, and nothing else:
  an interpreter and a spawn loop;
- ``asyncio_python``: ``python`` with ``site`` (as every installed console
  script starts) that imports asyncio and, from inside its event loop, does
  the same with each child's two pipes and a pidfd watched by the loop: the
  least an asyncio supervisor that captures output and reaps can do;
- ``minderd``: ``minderd -n`` on the fleet config (the peers bench's: AUTO
  logs, defaults), this checkout's; ``minderd_off`` the same with
  ``containment=off``, which no peer has: the difference is what placing
  each child in its own cgroup costs;
- ``fork_exec_contained`` and ``asyncio_contained``: ``fork_exec`` and
  ``asyncio_python`` where each child is also born in a leaf cgroup of its
  own, as minderd's are where it contains by default (bench/contained.py;
  the same as the bare kinds elsewhere). ``minderd / fork_exec_contained``
  holds minderd to the least its containment costs on this machine.

Every child is killed and reaped before the next run.

    .venv/bin/python -m bench.start_floor [--n 500] [--reps 5] [--where DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import confgen, contained, daemons
from bench.peers import install
from bench.stats import median

TARGET_RATIO = 1.3  # issue 19: 500 programs all started within 1.3x the fork+exec floor

SPAWNER = r"""
import os, signal, sys
child, stamps, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
work = None  # a BornInLeaf (bench/contained.py) for the *_contained kinds
kids, held = [], []
def spawn_one():
    out_r, out_w = os.pipe2(os.O_CLOEXEC)
    err_r, err_w = os.pipe2(os.O_CLOEXEC)
    pid = os.posix_spawn(child, [child, "sleep", stamps], os.environ, setsid=True,
                         file_actions=[(os.POSIX_SPAWN_DUP2, out_w, 1),
                                       (os.POSIX_SPAWN_DUP2, err_w, 2)])
    os.close(out_w)
    os.close(err_w)
    kids.append(pid)
    held.extend((out_r, err_r))
    return pid, out_r, err_r
def stop(*_):
    for pid in kids:
        os.kill(pid, signal.SIGKILL)
    for pid in kids:
        os.waitpid(pid, 0)
    os._exit(0)
signal.signal(signal.SIGTERM, stop)
"""

BARE = SPAWNER + r"""
for _ in range(n):
    spawn_one()
while True:
    signal.pause()
"""

ASYNCIO_MAIN = r"""
import asyncio
async def main():
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop)
    for i in range(n):
        if work is not None:
            work.enter(i)
        pid, out_r, err_r = spawn_one()
        if work is not None:
            work.leave()
        pidfd = os.pidfd_open(pid)
        held.append(pidfd)
        loop.add_reader(out_r, os.read, out_r, 65536)
        loop.add_reader(err_r, os.read, err_r, 65536)
        loop.add_reader(pidfd, os.waitid, os.P_PIDFD, pidfd, os.WEXITED | os.WNOHANG)
    await asyncio.Event().wait()
asyncio.run(main())
"""

ASYNCIO = SPAWNER + ASYNCIO_MAIN
ASYNCIO_CONTAINED = SPAWNER + contained.CODE + r"""
work = BornInLeaf(sys.argv[4])
""" + ASYNCIO_MAIN


def _count_starts(stamps: Path) -> list[int]:
    try:
        text = stamps.read_text()
    except FileNotFoundError:
        return []
    return sorted(int(p[1]) for p in (line.split() for line in text.splitlines())
                  if len(p) == 3 and p[0] == "S" and p[1].isdigit())


def _until_started(proc: subprocess.Popen[bytes], stamps: Path, n: int) -> int:
    """The N-th start stamp's CLOCK_MONOTONIC ns, once N children have stamped."""
    deadline = time.monotonic() + 120
    while True:
        starts = _count_starts(stamps)
        if len(starts) >= n:
            return starts[n - 1]
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"{len(starts)}/{n} children started, then it gave up")
        time.sleep(0.01)


def _launched(argv: list[str], workdir: Path, stamps: Path, n: int) -> float:
    err = open(workdir / "stderr", "wb")  # noqa: SIM115 - closed below, after the wait
    try:
        t0 = time.monotonic_ns()
        proc = subprocess.Popen(argv, cwd=workdir, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=err)
        try:
            return (_until_started(proc, stamps, n) - t0) / 1e9
        except RuntimeError as exc:
            tail = (workdir / "stderr").read_text()[-400:]
            raise RuntimeError(f"{argv[0]}: {exc}: {tail}") from None
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
    finally:
        err.close()


def fork_exec(n: int, workdir: Path) -> float:
    t0 = time.monotonic()
    for _ in range(n):
        pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
        os.waitpid(pid, 0)
    return time.monotonic() - t0


def fork_exec_contained(n: int, workdir: Path) -> float:
    """``fork_exec`` with each child born in a leaf of its own (bench/contained.py)."""
    subtree = contained.leaf_parent(str(workdir))
    work = contained.born_in_leaf_class()(subtree)
    try:
        t0 = time.monotonic()
        for i in range(n):
            work.enter(i)
            try:
                pid = os.posix_spawn("/bin/true", ["/bin/true"], os.environ)
            finally:
                work.leave()
            os.waitpid(pid, 0)
        return time.monotonic() - t0
    finally:
        contained.remove_leaves(subtree)


def bare_python(n: int, workdir: Path) -> float:
    stamps = workdir / "stamps"
    argv = [sys.executable, "-S", "-c", BARE, str(install.child()), str(stamps), str(n)]
    return _launched(argv, workdir, stamps, n)


def asyncio_python(n: int, workdir: Path) -> float:
    stamps = workdir / "stamps"
    argv = [sys.executable, "-c", ASYNCIO, str(install.child()), str(stamps), str(n)]
    return _launched(argv, workdir, stamps, n)


def asyncio_contained(n: int, workdir: Path) -> float:
    """``asyncio_python`` with each child born in a leaf of its own (bench/contained.py)."""
    stamps = workdir / "stamps"
    subtree = contained.leaf_parent(str(workdir))
    argv = [sys.executable, "-c", ASYNCIO_CONTAINED, str(install.child()), str(stamps), str(n),
            subtree]
    try:
        return _launched(argv, workdir, stamps, n)
    finally:
        contained.remove_leaves(subtree)


def minderd(n: int, workdir: Path, containment: str | None = None) -> float:
    stamps = workdir / "stamps"
    child = install.child()
    body = "\n".join(confgen.program(f"p{i:05d}", f"{child} sleep {stamps}") for i in range(n))
    conf = confgen.write(workdir, body, programs=n)
    if containment is not None:
        head, sep, rest = conf.read_text().partition("[supervisord]\n")
        conf.write_text(f"{head}{sep}containment={containment}\n{rest}")
    exe = shutil.which("minderd", path=os.path.dirname(sys.executable)) or "minderd"
    return _launched([exe, "-n", "-c", str(conf)], workdir, stamps, n)


def minderd_uncontained(n: int, workdir: Path) -> float:
    """The same with ``containment=off``: what placing each child in a cgroup costs."""
    return minderd(n, workdir, "off")


def asyncio_start_s(n: int, runs: int = 3) -> float:
    """The peers bench's floors line: ``asyncio_python`` for ``n``, median of ``runs``."""
    return _median_of(asyncio_python, n, runs)


def contained_start_s(n: int, runs: int = 3) -> float:
    """The peers bench's floors line: ``asyncio_contained`` for ``n``, median of ``runs``."""
    return _median_of(asyncio_contained, n, runs)


def _median_of(kind: Callable[[int, Path], float], n: int, runs: int) -> float:
    parent = Path(tempfile.mkdtemp(prefix="start-floor-"))
    try:
        times = []
        for i in range(runs):
            (parent / str(i)).mkdir()
            times.append(kind(n, parent / str(i)))
        return median(times)
    finally:
        shutil.rmtree(parent, ignore_errors=True)


KINDS: dict[str, Callable[[int, Path], float]] = {
    "fork_exec": fork_exec,
    "fork_exec_contained": fork_exec_contained,
    "bare_python": bare_python,
    "asyncio_python": asyncio_python,
    "asyncio_contained": asyncio_contained,
    "minderd": minderd,
    "minderd_off": minderd_uncontained,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.start_floor")
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--reps", type=int, default=5)
    parser.add_argument("--where", default=tempfile.gettempdir(), help="parent of the workdirs")
    args = parser.parse_args(argv)
    daemons.compile_minder_bytecode()  # as the peers bench does: not compiled in a timed run
    leaves = bool(contained.leaf_parent(args.where))
    # Kept until the end: creating files right after mass deletions is slow on
    # this VM's ext4 (docs/performance.md, third pass).
    kept = Path(tempfile.mkdtemp(prefix="start-floor-", dir=args.where))
    runs: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for rep in range(args.reps):
            for kind, run in KINDS.items():
                workdir = kept / f"{kind}-{rep}"
                workdir.mkdir()
                runs[kind].append(run(args.n, workdir))
            print("  ".join(f"{k}={v[-1]:.3f}" for k, v in runs.items()), flush=True)
    finally:
        shutil.rmtree(kept, ignore_errors=True)
    medians = {kind: median(values) for kind, values in runs.items()}
    print("median  " + "  ".join(f"{k}={v:.3f} s" for k, v in medians.items()))
    floor = medians["fork_exec"]
    print("ratios to fork_exec  " + "  ".join(
        f"{k}={v / floor:.2f}x" for k, v in medians.items() if k != "fork_exec"))
    print(f"minderd / asyncio_python = {medians['minderd'] / medians['asyncio_python']:.2f}x, "
          f"minderd - asyncio_python = {medians['minderd'] - medians['asyncio_python']:.3f} s")
    floor = medians["fork_exec_contained"]
    print(f"each child in a leaf cgroup ({'yes' if leaves else 'no: not available here'}): "
          f"minderd / fork_exec_contained = {medians['minderd'] / floor:.2f}x, "
          f"asyncio_contained / fork_exec_contained = {medians['asyncio_contained'] / floor:.2f}x, "
          f"minderd / asyncio_contained = {medians['minderd'] / medians['asyncio_contained']:.2f}x")
    print(_targets(medians))
    return 0


def _targets(medians: dict[str, float]) -> str:
    """The issue's 500-start target, and the honest one where each child gets a leaf.

    1.3x the fork+exec floor holds minderd with ``containment=off`` to it. With
    containment the same asyncio loop, with and without a leaf per child,
    measures the least that placement costs any supervisor here; the honest
    target adds it to 1.3x the floor (docs/performance.md, *sixth pass*).
    """
    bare = TARGET_RATIO * medians["fork_exec"]
    placement = medians["asyncio_contained"] - medians["asyncio_python"]
    honest = bare + placement
    off, on = medians["minderd_off"], medians["minderd"]
    return (
        f"targets: minderd_off {off:.3f} s <= {TARGET_RATIO}x fork_exec {bare:.3f} s: "
        f"{'met' if off <= bare else 'not met'}; minderd {on:.3f} s <= {TARGET_RATIO}x fork_exec "
        f"+ placement's floor ({placement:.3f} s) = {honest:.3f} s: "
        f"{'met' if on <= honest else 'not met'} ({on / honest:.2f}x)"
    )


if __name__ == "__main__":
    raise SystemExit(main())
