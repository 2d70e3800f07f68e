"""Cross-site request forgery defence for every state-changing request.

Two independent checks, both required to pass:

* a token only same-origin pages can know: an HMAC of a per-daemon random
  secret, embedded in our pages and sent back in ``X-CSRF-Token`` (or, for
  the no-JavaScript confirm form, a ``csrf_token`` field). A cross-site
  page can make the browser send a request, but it cannot read our pages,
  so it cannot learn the token;
* a same-origin check of ``Sec-Fetch-Site``, ``Origin`` and ``Referer``
  when the browser sends them, against ``Host`` (or ``X-Forwarded-Host``,
  which a reverse proxy may set) — defence in depth should the token ever
  leak into a log.

Basic auth does not help here: browsers attach cached credentials to
cross-site requests, which is exactly how supervisord's GET links are
exploitable.

DNS rebinding is the one attack that defeats same-origin checks: a page on
``evil.example`` re-points that name at 127.0.0.1 and is then "same
origin" with an unauthenticated loopback server. The app-wide host guard
(security.py, rule in hostcheck.py) closes it on every route of a server
without credentials, before any handler here runs.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from minder.http.webui.errors import ApiError

if TYPE_CHECKING:
    from aiohttp import web

TOKEN_HEADER = "X-CSRF-Token"
FORM_FIELD = "csrf_token"


def new_token() -> str:
    """A random token of the HMAC's shape, without loading OpenSSL (hmac, hashlib).

    The fast path (lightweb.py) makes one per server and serves pages with
    it before aiohttp is loaded; aiohttp's guard then checks that same one.
    """
    return os.urandom(32).hex()


class CsrfGuard:
    def __init__(self, secret: bytes | None = None, *, token: str | None = None) -> None:
        if token is not None:
            self.token = token
        elif secret is not None:
            import hashlib
            import hmac

            self.token = hmac.new(secret, b"minder-webui-csrf-v1", hashlib.sha256).hexdigest()
        else:
            self.token = new_token()

    def check(self, request: web.Request, form_token: str | None = None) -> None:
        """Raise ApiError(403) unless ``request`` comes from one of our pages."""
        check_same_origin(request)
        import hmac

        sent = request.headers.get(TOKEN_HEADER) or form_token or ""
        if not hmac.compare_digest(sent.encode(), self.token.encode()):
            raise ApiError(
                403,
                "CSRF_REJECTED",
                "missing or wrong CSRF token; reload the page and try again",
            )


def check_same_origin(request: web.Request) -> None:
    fetch_site = request.headers.get("Sec-Fetch-Site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        raise ApiError(403, "CROSS_ORIGIN", f"cross-origin request refused ({fetch_site})")
    allowed = _own_hosts(request)
    origin = request.headers.get("Origin")
    if origin is not None:
        if _netloc(origin) not in allowed:
            raise ApiError(403, "CROSS_ORIGIN", f"request from origin {origin!r} refused")
        return
    referer = request.headers.get("Referer")
    if referer is not None and _netloc(referer) not in allowed:
        raise ApiError(403, "CROSS_ORIGIN", "request from another site refused (Referer)")


def _own_hosts(request: web.Request) -> set[str]:
    hosts = {request.headers.get("Host", "")}
    forwarded = request.headers.get("X-Forwarded-Host")
    if forwarded:
        hosts.update(h.strip() for h in forwarded.split(","))
    return {h.lower() for h in hosts if h}


def _netloc(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower()
    except ValueError:
        return ""
