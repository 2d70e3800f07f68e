"""Which ``/RPC2`` requests only a browser forged by another site would send.

XML-RPC clients (supervisorctl, xmlrpc.client, superlance) are not
browsers, but a browser can be made to POST to ``/RPC2`` by any web page
(a form or a no-cors fetch with ``text/plain``), and supervisord runs such
a call. We refuse what only a forged browser request looks like: a
cross-site ``Sec-Fetch-Site``, an ``Origin`` that is not this server, or a
body type a page may send without a CORS preflight.

A pure function of the headers, so that the aiohttp handler
(rpc_endpoint.py) and the fast path (fastpath.py) apply one rule.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from minder.records import record

# Content types a cross-site page can POST without a CORS preflight.
FORGEABLE_TYPES = frozenset(
    {"text/plain", "application/x-www-form-urlencoded", "multipart/form-data"}
)


@record
class Refusal:
    status: int  # 403 or 415
    text: str


def cross_site_refusal(header: Callable[[str], str | None], content_type: str) -> Refusal | None:
    """Why the request must be refused, or None; ``header`` looks one up by its
    lower-case name (the first value) and ``content_type`` is the media type."""
    fetch_site = header("sec-fetch-site")
    if fetch_site is not None and fetch_site not in ("same-origin", "none"):
        return Refusal(403, f"cross-site XML-RPC request refused ({fetch_site})\n")
    origin = header("origin")
    if origin is not None:
        host = (header("host") or "").lower()
        forwarded = {h.strip().lower() for h in (header("x-forwarded-host") or "").split(",")}
        try:
            netloc = urlsplit(origin).netloc.lower()
        except ValueError:
            netloc = ""
        if not netloc or (netloc != host and netloc not in forwarded):
            return Refusal(403, f"XML-RPC request from origin {origin!r} refused\n")
    if content_type in FORGEABLE_TYPES:
        return Refusal(415, f"XML-RPC bodies must be text/xml, not {content_type}\n")
    return None
