"""The daemon's imports of asyncio and http.client leave ssl (and OpenSSL) out of memory."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
import minder.daemon.main
import minder.http.server  # what the daemon imports to serve (XML-RPC codec: http.client)
loaded_after_daemon_import = "ssl" in sys.modules
import asyncio
assert asyncio.sslproto.ssl is None, "asyncio was imported with TLS support"
import ssl  # a plugin may still use ssl itself
print(loaded_after_daemon_import, ssl.OPENSSL_VERSION.startswith("OpenSSL"))
"""


def test_importing_the_daemon_does_not_load_ssl_but_leaves_it_importable() -> None:
    result = subprocess.run(
        [sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True"]
