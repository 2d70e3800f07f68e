"""HTTP Basic credentials of one server section, checked in constant time.

Apart from auth.py (the aiohttp middleware; logins.py paces attempts) so
that the XML-RPC fast path (fastpath.py) can check a password without
importing aiohttp: one implementation of the check serves both.

* Credentials are checked only when the server has a username, exactly
  like supervisord; the password is cleartext or ``{SHA}<hex sha1>``.
* Comparisons are constant-time (``hmac.compare_digest``'s function) and
  both the user and the password are always compared, so timing says nothing.
"""

from __future__ import annotations

import base64
import binascii

# hmac.compare_digest without importing hmac (and with it hashlib and OpenSSL's
# libcrypto, ~3.5 MiB of minderd's memory): CPython's hmac module itself falls
# back to this same constant-time function when it has no OpenSSL.
from _operator import _compare_digest as compare_digest


class Credentials:
    """The server's username and password, ready for constant-time checks."""

    def __init__(self, username: str, password: str | None) -> None:
        self._user = username.encode("utf-8")
        password = password or ""
        self._sha = password.startswith("{SHA}")
        self._password = (password[5:] if self._sha else password).encode("utf-8")

    def check(self, header: str | None) -> bool | None:
        """True if the header carries the right credentials, False if wrong,
        None if there are none (a first request: not counted as a failure)."""
        if not header:
            return None
        scheme, _, encoded = header.strip().partition(" ")
        if scheme.lower() != "basic":
            return False
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True)
        except (binascii.Error, ValueError):
            return False
        user, sep, given = decoded.partition(b":")
        if not sep:
            return False
        if self._sha:
            import hashlib  # only servers with {SHA} passwords pay for it

            given = hashlib.sha1(given).hexdigest().encode("ascii")
        user_ok = compare_digest(user, self._user)
        password_ok = compare_digest(given, self._password)
        return user_ok and password_ok
