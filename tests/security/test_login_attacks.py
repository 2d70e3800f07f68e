"""Issue 18, items 1 and 2: a wrong-password flood and password guessing,
performed against a real minderd with a password on its TCP port."""

from __future__ import annotations

import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from minder.http.logins import GLOBAL_BURST, GLOBAL_RATE
from tests.security.attacks import (
    basic_header,
    guess_passwords,
    timed_login,
    wrong_password_flood,
)
from tests.support.daemons import RunningDaemon, run_daemon
from tests.support.ports import free_port

USER, PASSWORD = "admin", "correct horse"


@dataclass
class Guarded:
    daemon: RunningDaemon
    port: int


@pytest.fixture
def guarded(tmp_path: Path) -> Iterator[Guarded]:
    port = free_port()
    body = (
        f"[inet_http_server]\nport=127.0.0.1:{port}\nusername={USER}\npassword={PASSWORD}\n\n"
        "[program:a]\ncommand=/bin/sleep 1000\nstartsecs=0\n"
    )
    with run_daemon(tmp_path, body) as daemon:
        # the first refusal loads aiohttp (~15 MiB): not part of what is measured
        assert timed_login(port, basic_header(USER, "warm-up"))[1] == 401
        yield Guarded(daemon, port)


def candidates(right_at: int, count: int) -> list[str]:
    words = [f"guess-{n}" for n in range(count)]
    words[right_at] = PASSWORD
    return words


def test_a_wrong_password_flood_leaves_no_memory_behind_and_shutdown_is_prompt(
    guarded: Guarded,
) -> None:
    pid = guarded.daemon.proc.pid
    # the first seconds fill what the capped connections may take; after that,
    # nothing more may stay behind (main grew ~15 MiB a second, never freed)
    first = wrong_password_flood(pid, guarded.port, 2.0, user=USER)
    assert first.growth_mib < 40, first
    then = wrong_password_flood(pid, guarded.port, 4.0, user=USER)
    assert then.requests > 300, then
    assert then.growth_mib < 8, then
    # the owner still gets in from another address at once
    took, status = timed_login(guarded.port, basic_header(USER, PASSWORD), "127.0.0.2")
    assert status == 200 and took < 2, (took, status)
    began = time.monotonic()
    guarded.daemon.proc.send_signal(signal.SIGTERM)
    assert guarded.daemon.proc.wait(timeout=30) == 0
    assert time.monotonic() - began < 5


def test_guessing_from_one_client_is_slowed_right_password_included(guarded: Guarded) -> None:
    result = guess_passwords(
        guarded.port, USER, candidates(300, 3000), parallel=50, seconds=6.0, patience=0.25
    )
    assert result.found_after is None, result  # the right guess had to wait its turn too
    # 0.1 + 0.2 + 0.4 + 0.8 + 1.6 + 3.2 s: about seven checked attempts in six seconds
    assert result.guesses_answered <= 10, result
    # meanwhile another client is not held back by the guesser
    took, status = timed_login(guarded.port, basic_header(USER, PASSWORD), "127.0.0.2")
    assert status == 200 and took < 2, (took, status)


def test_guessing_from_many_addresses_is_limited_overall_but_not_a_logged_in_client(
    guarded: Guarded,
) -> None:
    right = basic_header(USER, PASSWORD)
    assert timed_login(guarded.port, right, "127.0.1.1")[1] == 200  # the owner, before
    sources = [f"127.0.2.{n}" for n in range(1, 251)]
    seconds = 3.0
    result = guess_passwords(
        guarded.port, USER, candidates(400, 500), parallel=100, seconds=seconds, sources=sources,
        patience=0.25,
    )
    assert result.found_after is None, result
    allowed = GLOBAL_BURST + GLOBAL_RATE * result.seconds + 10
    assert result.guesses_answered <= allowed, result
    took, status = timed_login(guarded.port, right, "127.0.1.1")
    assert status == 200 and took < 2, (took, status)
