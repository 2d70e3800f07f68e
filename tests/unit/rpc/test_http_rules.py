"""Pure rules of the HTTP layer: credential checks, the failure slowdown,
and which request URLs count as clean."""

from __future__ import annotations

import asyncio
import base64
import hashlib

import pytest

from minder.http.credentials import Credentials
from minder.http.logins import (
    GLOBAL_BURST,
    MAX_DELAY,
    PENDING_PER_CLIENT,
    LoginGate,
    TooManyAttempts,
    failure_delay,
)
from minder.http.security import is_clean_url


def header(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


@pytest.mark.parametrize(
    "stored", ["pass:word é", "{SHA}" + hashlib.sha1("pass:word é".encode()).hexdigest()]
)
def test_credentials(stored: str) -> None:
    creds = Credentials("admin", stored)
    assert creds.check(header("admin", "pass:word é")) is True
    assert creds.check(header("admin", "pass:word")) is False
    assert creds.check(header("Admin", "pass:word é")) is False
    assert creds.check(header("admin", "pass:word é").replace("Basic", "basic")) is True
    assert creds.check("Digest abc") is False
    assert creds.check("Basic %%%") is False
    assert creds.check("Basic " + base64.b64encode(b"no-colon").decode()) is False
    assert creds.check(None) is None
    assert creds.check("") is None


def test_sha_passwords_do_not_accept_the_hash_itself() -> None:
    digest = hashlib.sha1(b"pw").hexdigest()
    assert Credentials("u", "{SHA}" + digest).check(header("u", digest)) is False


def test_failure_delay_doubles_up_to_a_cap() -> None:
    assert [failure_delay(n) for n in range(5)] == [0.0, 0.1, 0.2, 0.4, 0.8]
    assert failure_delay(10) == failure_delay(10_000) == MAX_DELAY


def test_gate_spaces_a_clients_attempts_right_ones_included_and_forgets() -> None:
    now = [1000.0]
    gate = LoginGate(clock=lambda: now[0])

    def turn(key: str, ok: bool) -> bool:
        return asyncio.run(asyncio.wait_for(gate.wait_turn(key, ok, lambda: False), 1))

    assert gate.try_now("ip:1")  # a fresh client with the right password: at once
    assert turn("ip:1", False)  # trusted: checked at once, and no longer trusted
    assert not gate.try_now("ip:1")  # the right password must now wait 0.1 s
    now[0] += 0.1
    assert gate.try_now("ip:1")
    assert gate.try_now("ip:2")  # another client is not slowed by ip:1
    now[0] += 301
    assert gate.try_now("ip:1")


def test_gate_bounds_what_waits_and_drops_clients_that_left() -> None:
    async def scenario() -> None:
        gate = LoginGate()
        assert await gate.wait_turn("ip:1", False, lambda: False)  # from the burst
        waiting = [
            asyncio.ensure_future(gate.wait_turn("ip:1", False, lambda: False))
            for _ in range(PENDING_PER_CLIENT)
        ]
        await asyncio.sleep(0)
        with pytest.raises(TooManyAttempts):
            await gate.wait_turn("ip:1", True, lambda: False)
        gate.close()
        assert await asyncio.wait_for(asyncio.gather(*waiting), 1) == [False] * len(waiting)

    asyncio.run(scenario())


def test_gate_limits_all_untrusted_clients_together() -> None:
    now = [1000.0]
    gate = LoginGate(clock=lambda: now[0])
    assert gate.try_now("ip:admin")  # logged in before the attack: trusted
    admitted = sum(gate.try_now(f"ip:{n}") for n in range(100))
    assert admitted == GLOBAL_BURST - 1
    assert gate.try_now("ip:admin")  # the trusted client is never held by the others


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("/logtail/a:b/stdout", True),
        ("/logtail/caf%C3%A9", True),
        ("/logtail/a%00b", False),
        ("/logtail/%ff", False),
        ("/x\x00", False),
        ("/x\udcff", False),
    ],
)
def testis_clean_urls(raw: str, clean: bool) -> None:
    assert is_clean_url(raw) is clean
