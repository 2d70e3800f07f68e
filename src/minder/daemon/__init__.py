"""See docs/architecture.md for what this package owns.

Importing this package first loads asyncio without TLS support (see
``_load_asyncio_without_tls``): minderd never speaks TLS itself — neither
does supervisord; a TLS front is nginx's job — and ``import asyncio`` would
otherwise pull in the ``ssl`` module and OpenSSL's libcrypto, ~5 MiB of the
daemon's resident memory for code that can never run. The cyclic garbage
collector is paused meanwhile (as ``minder.daemon.main`` pauses it for the
daemon's own modules): asyncio's modules live as long as the process. (For the same
reason the XML-RPC codec does not import ``xmlrpc.client``, whose
``http.client`` would load ssl: see ``minder.rpc.unmarshal``.)
"""

import gc
import sys


def _load_asyncio_without_tls() -> None:
    """Import asyncio while ``ssl`` is unimportable, then make ``ssl`` importable again.

    asyncio imports ssl optionally (``try: import ssl except ImportError``),
    so it loads fine and only TLS transports are unavailable. Nothing is
    done when asyncio or ssl is already loaded (tests, embedding): the
    trick only ever saves memory, it never takes a loaded module away. The
    marker is removed afterwards, so a plugin that imports ``ssl`` itself
    (an rpcinterface calling an HTTPS service) still gets it.
    """
    if "asyncio" in sys.modules or "ssl" in sys.modules:
        return
    sys.modules["ssl"] = None  # type: ignore[assignment]  # the documented import blocker
    collecting = gc.isenabled()
    gc.disable()  # what asyncio's modules create lives as long as the process
    try:
        import asyncio  # noqa: F401
    finally:
        del sys.modules["ssl"]
        if collecting:
            gc.enable()


_load_asyncio_without_tls()
