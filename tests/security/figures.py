"""Print issue 18's figures: the attacks of tests/security, measured, not asserted.

    .venv/bin/python -m tests.security.figures            # this checkout
    PYTHONPATH=/path/to/old/checkout/src .venv/bin/python -m tests.security.figures

(the second form measures another minder, e.g. a worktree of an older main:
run_daemon starts ``minderd`` from this venv, which imports ``minder`` from
PYTHONPATH first). Each attack runs against a fresh minderd on 127.0.0.1.
"""

from __future__ import annotations

import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

import psutil

from tests.security.attacks import (
    basic_header,
    connection_flood,
    guess_passwords,
    rss_kib,
    timed_call,
    timed_login,
    wrong_password_flood,
)
from tests.support.daemons import run_daemon
from tests.support.ports import free_port

USER, PASSWORD = "admin", "correct horse"


def _section(port: int) -> str:
    return (
        f"[inet_http_server]\nport=127.0.0.1:{port}\nusername={USER}\npassword={PASSWORD}\n\n"
        "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    )


def flood_figure(workdir: Path, seconds: float) -> None:
    port = free_port()
    with run_daemon(workdir, _section(port)) as daemon:
        timed_login(port, basic_header(USER, "warm-up"))  # loads aiohttp first
        pid = daemon.proc.pid
        before = rss_kib(pid)
        result = wrong_password_flood(pid, port, seconds, user=USER)
        began = time.monotonic()
        daemon.proc.send_signal(signal.SIGTERM)
        daemon.proc.wait(120)
        stop = time.monotonic() - began
    print(
        f"wrong-password flood, {seconds:.0f} s, one client: {result.requests} requests, "
        f"RSS {before // 1024} -> {result.rss_after_kib // 1024} MiB "
        f"(+{result.growth_mib:.1f} MiB), SIGTERM answered in {stop:.2f} s"
    )


def guess_figure(workdir: Path) -> None:
    port = free_port()
    words = [f"guess-{n}" for n in range(3000)]
    words[300] = PASSWORD
    with run_daemon(workdir, _section(port)):
        one = guess_passwords(port, USER, words, parallel=50, seconds=6.0, patience=0.25)
        sources = [f"127.0.2.{n}" for n in range(1, 251)]
        many = guess_passwords(
            port, USER, words, parallel=100, seconds=6.0, patience=0.25, sources=sources
        )
    for label, result in (("one client", one), ("250 addresses", many)):
        found = "never" if result.found_after is None else f"after {result.found_after:.2f} s"
        print(
            f"guessing, {label}: {result.guesses_sent} sent in {result.seconds:.1f} s, "
            f"{result.guesses_answered} checked and answered "
            f"({result.answered_per_second:.1f}/s); right password (300th) found {found}"
        )


def connection_flood_figure(workdir: Path, count: int = 1500) -> None:
    port = free_port()
    url = f"http://{USER}:{PASSWORD}@127.0.0.1:{port}/RPC2"
    with run_daemon(workdir, _section(port)) as daemon:
        psutil.Process(daemon.proc.pid).rlimit(psutil.RLIMIT_NOFILE, (1024, 1024))
        quiet = [timed_call(url) for _ in range(5)]
        with connection_flood(port, count) as held:
            loaded: list[float] = []
            for _ in range(5):
                try:
                    loaded.append(timed_call(url, timeout=10))
                except OSError as exc:
                    print(f"  authorised call during the flood failed: {exc!r}")
                    break
    during = f"{statistics.median(loaded) * 1000:.1f} ms" if loaded else "no answer within 10 s"
    print(
        f"authorised getState over TCP, minderd at 1,024 descriptors: median "
        f"{statistics.median(quiet) * 1000:.1f} ms quiet, {during} during a flood of "
        f"{len(held)} held connections ({len(loaded)} of 5 answered)"
    )


def main() -> None:
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 15.0
    import minder

    print(f"minder from {Path(minder.__file__).parent}")
    with tempfile.TemporaryDirectory(prefix="minder-figures-") as tmp:
        for n, figure in enumerate(
            (lambda w: flood_figure(w, seconds), guess_figure, connection_flood_figure)
        ):
            workdir = Path(tmp) / str(n)
            workdir.mkdir()
            figure(workdir)


if __name__ == "__main__":
    main()
