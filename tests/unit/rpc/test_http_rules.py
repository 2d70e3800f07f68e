"""Pure rules of the HTTP layer: credential checks, the failure slowdown,
and which request URLs count as clean."""

from __future__ import annotations

import base64
import hashlib

import pytest

from minder.http.auth import MAX_DELAY, Credentials, FailureThrottle, failure_delay
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


def test_throttle_counts_per_peer_and_forgets() -> None:
    now = [1000.0]
    throttle = FailureThrottle(clock=lambda: now[0])
    assert throttle.record_failure("ip:1")[0] == 0.1
    assert throttle.record_failure("ip:1")[0] == 0.2
    assert throttle.record_failure("ip:2")[0] == 0.1
    now[0] += 301
    assert throttle.record_failure("ip:1")[0] == 0.1


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
