"""Which ``Host`` names a server without credentials answers (DNS rebinding).

A web page on ``evil.example`` can re-point its own name at 127.0.0.1; the
browser then treats the loopback server as the page's own origin, sends it
anything (headers included: ``Authorization`` too) and reads the answers.
What the page cannot change is the ``Host`` header: it is the name the
browser resolved, the attacker's. So a server with no username answers,
on every route, only requests whose ``Host`` is one of:

* an IP address literal (``127.0.0.1``, ``[::1]``, any address);
* ``localhost`` or a name under ``.localhost`` (browsers resolve these to
  loopback themselves, never through DNS);
* the host name written in the section's ``port=`` (``port=myhost:9001``);
* this machine's own host name (``socket.gethostname()``).

Requests over a unix socket are not checked: no browser reaches one
directly, and a reverse proxy in front of it does its own name checks.
A request without ``Host`` (HTTP/1.0 tools) is not from a browser.

Pure functions, no aiohttp: the XML-RPC fast path (fastpath.py) and the
aiohttp middleware (security.py) apply this one rule.
"""

from __future__ import annotations

import ipaddress
import socket

__all__ = ["allowed_names", "host_allowed", "host_of"]


def host_of(header: str) -> str:
    """The name in a Host header: no port, no IPv6 brackets, lower case, no final dot."""
    value = header.strip().lower()
    if value.startswith("["):
        end = value.find("]")
        return value[1:end] if end > 0 else value
    name, _, port = value.rpartition(":")
    if name and port.isdigit():
        value = name
    return value.rstrip(".")


def allowed_names(configured_host: str | None) -> frozenset[str]:
    """The DNS names (besides addresses and localhost) a credential-less server answers."""
    names = {socket.gethostname().lower().rstrip(".")}
    if configured_host and configured_host not in ("*", ""):
        names.add(host_of(configured_host))
    return frozenset(name for name in names if name)


def host_allowed(header: str | None, names: frozenset[str]) -> bool:
    if header is None:
        return True
    host = host_of(header)
    if host == "localhost" or host.endswith(".localhost") or host in names:
        return True
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True
