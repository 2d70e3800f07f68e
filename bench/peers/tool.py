"""What the peers bench needs from each supervisor, and the shared parts.

A ``Tool`` knows how to find itself (``problem``), how to write its own
configuration for a list of ``Program``s and start on it (``launch``), and
which commands a user types to stop everything and to see the status. The
``Launched`` handle it returns gives the roots of its process tree, so that
every figure of cost is summed over the supervisor side (bench/peers/proctree.py),
and always tears the whole tree down on exit.

Every tool runs with its own defaults. Where the bench has to choose
(where a log goes, which socket a control channel uses) the choice is
written in ``Tool.notes`` and printed with the table.
"""

from __future__ import annotations

import contextlib
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bench import daemons
from bench.peers import proctree


@dataclass(frozen=True)
class Program:
    """One program: the child's arguments, and where its stdout should go.

    ``log``: None for the tool's default (whatever it does with a program it
    was told nothing about), a Path to capture stdout into that file (or,
    for s6 and runit, that logger directory), or ``"none"`` to throw the
    output away (5,000 programs do not fit the fd limit with log files).
    """

    name: str
    args: tuple[str, ...]
    log: Path | str | None = None


@dataclass
class Launched:
    """A running supervisor: the roots of its tree, and how to stop and ask it."""

    tool: Tool
    workdir: Path
    child: str  # the child program's path, to tell children from the supervisor side
    started_ns: int  # CLOCK_MONOTONIC just before the first command ran
    roots: list[int] = field(default_factory=list)
    proc: subprocess.Popen[bytes] | None = None
    context: dict[str, object] = field(default_factory=dict)

    def side(self) -> dict[int, int]:
        """The supervisor side now: its processes, children excluded."""
        return proctree.split(self.roots, self.child)[0]

    def children(self) -> dict[int, int]:
        return proctree.split(self.roots, self.child)[1]

    def check_alive(self) -> None:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"{self.tool.name} exited with status {self.proc.returncode}")


class Tool:
    """One supervisor: subclasses fill in the tool-specific parts."""

    name = "?"
    running_marker = "RUNNING"  # a status line of a running program contains this
    first_signal = signal.SIGTERM  # what asks the root to shut down
    notes = ""

    def problem(self) -> str | None:
        """Why this tool cannot run here (None: it can)."""
        raise NotImplementedError

    def start(self, run: Launched, programs: list[Program]) -> None:
        """Write the configuration and start; fill in ``run.roots`` (and ``run.proc``)."""
        raise NotImplementedError

    def stop_all_argv(self, run: Launched) -> list[str]:
        raise NotImplementedError

    def status_argv(self, run: Launched) -> list[str]:
        raise NotImplementedError

    def command_env(self, run: Launched) -> dict[str, str] | None:
        """The environment the control commands need (None: the bench's own)."""
        return None

    def kept_logs(self, run: Launched, program: Program) -> list[Path]:
        """The files holding ``program``'s captured stdout, oldest first."""
        raise NotImplementedError

    def shutdown(self, run: Launched) -> None:
        """The tool's own way to end itself, if it has one beyond a signal."""

    def use_web_ui(self, run: Launched) -> bool:
        """Load the tool's web UI and metrics, if it serves them (False: it has none)."""
        return False

    @contextlib.contextmanager
    def launch(self, workdir: Path, child: Path, programs: list[Program]) -> Iterator[Launched]:
        run = Launched(self, workdir, str(child), time.monotonic_ns())
        try:
            self.start(run, programs)
            yield run
        finally:
            known = proctree.tree(run.roots)  # before shutdown orphans any of them
            with contextlib.suppress(Exception):
                self.shutdown(run)
            proctree.teardown(run.roots, self.first_signal, known=known)
            if run.proc is not None:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    run.proc.wait(10)
            daemons.reap_orphans()


def spawn(argv: list[str], workdir: Path, *, env: dict[str, str] | None = None,
          stdout: int | None = subprocess.DEVNULL) -> subprocess.Popen[bytes]:
    """Start a supervisor in the foreground, in its own session, stderr to a file."""
    with open(workdir / "tool.stderr", "ab") as err:
        return subprocess.Popen(
            argv, cwd=workdir, stdin=subprocess.DEVNULL, stdout=stdout, stderr=err,
            start_new_session=True, env=env,
        )


def command(argv: list[str], workdir: Path, *, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a control command to completion; raise with its output if it fails."""
    res = subprocess.run(
        argv, cwd=workdir, capture_output=True, text=True, timeout=timeout, env=env,
        stdin=subprocess.DEVNULL, check=False,
    )
    if res.returncode != 0:
        raise RuntimeError(
            f"{Path(argv[0]).name} exited {res.returncode}: "
            f"{(res.stderr or res.stdout).strip()[-160:]}"
        )
    return res
