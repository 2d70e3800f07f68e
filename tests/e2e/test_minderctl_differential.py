"""Same commands through upstream supervisorctl and minderctl: same output, same exit code.

Pids, uptimes and stop times are normalised. Where minderctl deliberately
says something else (help texts in its own words, one-line errors instead
of Python tracebacks) only the exit code and the first line are compared;
docs/differences.md (## minderctl) lists those places.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.support.daemons import RunningDaemon

from .test_minderctl_support import (
    DAEMON_KINDS,
    client_path,
    minderctl,
    normalise,
    start_daemon,
)

SAME = [
    "status", "status a nosuch zz:*", "status grp:*", "status all", "avail", "pid", "pid all",
    "pid b", "pid x", "version", "help", "help nosuch", "tail a", "tail grp:d stderr",
    "tail -5 a", "tail nosuch", "tail a bogus", "tail -x a", "maintail x", "signal NOPE a",
    "signal HUP b", "signal HUP zz:*", "clear nosuch", "reread", "update", "update zz",
    "add a", "add nosuch", "remove nosuch", "remove a", "fg nosuch", "fg a b", "open ftp://x",
    "bogus", "start nosuch zz:*", "stop nosuch zz:*", "restart nosuch",
]
# the first line (the error) is the same; what follows is help text in minderctl's words
FIRST_LINE = ["start", "stop", "restart", "signal", "clear", "tail", "maintail -1 -2",
              "avail extra", "reread extra", "version extra", "shutdown now", "reload now", "fg"]
SEQUENCES = [
    ["start b", "start b", "status b", "stop b", "stop b"],
    ["restart grp:c"],
    ["signal CONT a", "signal CONT grp:*"],
    ["clear grp:d"],
    ["stop grp:*", "status", "start grp:*"],
]


@pytest.fixture(scope="module", params=DAEMON_KINDS)
def daemon(request: pytest.FixtureRequest,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningDaemon]:
    yield from start_daemon(tmp_path_factory.mktemp(request.param), request.param)


def both(daemon: RunningDaemon, line: str) -> tuple[tuple[str, int], tuple[str, int]]:
    results = []
    for client in ("supervisorctl", "minderctl"):
        result = minderctl(daemon, *line.split(), client=client)
        results.append((normalise(result.stdout), result.returncode))
    return results[0], results[1]


def compare_all(daemon: RunningDaemon, lines: list[str], first_line_only: bool) -> None:
    """Run every (read-only) line through both clients, a few at a time, then compare."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda line: both(daemon, line), lines))
    mismatches = []
    for line, (upstream, ours) in zip(lines, results, strict=True):
        if first_line_only:
            upstream = (upstream[0].splitlines()[0], upstream[1])
            ours = (ours[0].splitlines()[0], ours[1])
        if ours != upstream:
            mismatches.append(f"{line!r}: supervisorctl {upstream!r} != minderctl {ours!r}")
    assert not mismatches, "\n".join(mismatches)


def test_same_output(daemon: RunningDaemon) -> None:
    compare_all(daemon, SAME, first_line_only=False)


def test_same_error_line(daemon: RunningDaemon) -> None:
    compare_all(daemon, FIRST_LINE, first_line_only=True)


@pytest.mark.parametrize("sequence", SEQUENCES, ids=lambda seq: " / ".join(seq))
def test_same_effects(daemon: RunningDaemon, sequence: list[str]) -> None:
    transcripts = {}
    for client in ("supervisorctl", "minderctl"):
        transcript = []
        for line in sequence:
            result = minderctl(daemon, *line.split(), client=client)
            lines = normalise(result.stdout).splitlines()
            if line.endswith(":*") or line.endswith(" all"):
                lines.sort()  # group results arrive in completion order
            transcript.append((lines, result.returncode))
        transcripts[client] = transcript
    assert transcripts["minderctl"] == transcripts["supervisorctl"]


def test_same_piped_session(daemon: RunningDaemon) -> None:
    script = "status a\nversion\n\npid b\nbogus\nquit\n"
    upstream = minderctl(daemon, input=script, client="supervisorctl")
    ours = minderctl(daemon, input=script)
    assert (normalise(ours.stdout), ours.returncode) == (
        normalise(upstream.stdout), upstream.returncode)


def run_both(*argv: str) -> list[subprocess.CompletedProcess[str]]:
    return [subprocess.run([client_path(c), *argv], capture_output=True, text=True, timeout=30,
                           stdin=subprocess.DEVNULL, cwd="/")
            for c in ("supervisorctl", "minderctl")]


@pytest.mark.parametrize("url", ["unix:///nonexistent/x.sock", "http://127.0.0.1:1"])
@pytest.mark.parametrize("line", ["status", "start a", "tail a"])
def test_same_message_when_the_daemon_is_unreachable(url: str, line: str) -> None:
    upstream, ours = run_both("-s", url, *line.split())
    assert (ours.stdout, ours.returncode) == (upstream.stdout, upstream.returncode)


@pytest.mark.parametrize("line", ["avail", "update", "remove a"])
def test_one_line_instead_of_a_traceback(line: str) -> None:
    url = "unix:///nonexistent/x.sock"
    upstream, ours = run_both("-s", url, *line.split())
    assert upstream.stdout.startswith("error: <class")
    assert ours.stdout == f"{url} no such file\n"
    assert ours.returncode == upstream.returncode


@pytest.mark.parametrize("argv", [["-s", "foo", "status"], ["-x"], ["-c", "/nonexistent"]])
def test_same_usage_errors(argv: list[str]) -> None:
    upstream, ours = run_both(*argv)
    assert ours.returncode == upstream.returncode == 2
    assert ours.stderr.splitlines()[0] == upstream.stderr.splitlines()[0]
