"""The daemon's imports leave ssl (and OpenSSL) out of memory, and HTTPS usable by plugins."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import minder.daemon.main
import minder.http.server  # what the daemon imports to serve, XML-RPC codec included
import minder.rpc.methods
loaded_after_daemon_import = sorted(
    m for m in ("ssl", "http.client", "xmlrpc.client", "hashlib", "aiohttp") if m in sys.modules
)
assert not loaded_after_daemon_import, loaded_after_daemon_import
import asyncio
assert asyncio.sslproto.ssl is None, "asyncio was imported with TLS support"
import ssl  # a plugin (an rpcinterface calling an HTTPS service) may still use TLS
import urllib.request
assert "https" in urllib.request.build_opener().handle_open
print(ssl.OPENSSL_VERSION.startswith("OpenSSL"))
"""


def test_importing_the_daemon_does_not_load_ssl_but_leaves_it_importable() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True"]
