"""Request limits, response hardening headers and URL checks, without aiohttp.

Why apart from security.py (the aiohttp middleware that enforces them):
the XML-RPC fast path (fastpath.py) serves a request only when it is
within these same limits, and must not import aiohttp to know them.
"""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

MAX_BODY_BYTES = 4 * 1024 * 1024
MAX_HEADER_FIELD_BYTES = 8 * 1024
MAX_HEADER_TOTAL_BYTES = 32 * 1024
# aiohttp's parser rejects beyond these with a bare 400; ours trigger first.
PARSER_MAX_LINE = 64 * 1024
PARSER_MAX_HEADERS = 128

SERVER_NAME = "minder"
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
}


def clean_text(raw: str) -> bool:
    """No NUL and valid UTF-8 (aiohttp keeps undecodable bytes as surrogates)."""
    if "\x00" in raw:
        return False
    try:
        raw.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def is_clean_url(raw_path: str) -> bool:
    if not clean_text(raw_path):
        return False
    decoded = unquote_to_bytes(raw_path)
    if b"\x00" in decoded:
        return False
    try:
        decoded.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
