"""The state one minderctl run shares between commands.

A Session owns the options, where output goes, the exit status (the LSB
codes supervisorctl uses, see the reference §5.2) and one keep-alive RPC
connection, opened on first use so ``help`` never touches a socket.
"""

from __future__ import annotations

import errno
import os
import sys

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any, TextIO

    from minder.ctl.options import CtlOptions
    from minder.ctl.transport import RpcClient
    from minder.protocol.faults import Faults

API_VERSION = "3.0"


class Exit:
    """supervisorctl's exit codes (LSB init-script conventions)."""

    SUCCESS = 0
    GENERIC = 1
    INVALID_ARGS = 2
    UNIMPLEMENTED_FEATURE = 3
    INSUFFICIENT_PRIVILEGES = 4
    NOT_INSTALLED = 5
    NOT_RUNNING = 7
    # `status` reuses 3 and 4 with other meanings (LSB status actions)
    STATUS_NOT_RUNNING = 3
    STATUS_UNKNOWN = 4



def _faults() -> type[Faults]:
    """The fault codes, imported on first need: ``enum`` is a noticeable part of a
    ``minderctl status`` run, and a successful status never needs a fault code."""
    from minder.protocol.faults import Faults

    return Faults


def colour_wanted(stream: TextIO, environ: dict[str, str] | os._Environ[str]) -> bool:
    """Colour only on a terminal, and never when NO_COLOR is set (no-color.org)."""
    if environ.get("NO_COLOR"):
        return False
    if environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


class Session:
    def __init__(self, options: CtlOptions, out: TextIO | None = None,
                 colour: bool | None = None) -> None:
        self.options = options
        self.out = out if out is not None else sys.stdout
        self.colour = colour_wanted(self.out, os.environ) if colour is None else colour
        self.exitstatus = Exit.SUCCESS
        self._client: RpcClient | None = None
        # Does the daemon offer minder.updateProcessGroup? None until an update asks.
        self.in_place_update: bool | None = None

    # -- output --------------------------------------------------------------
    def output(self, text: str) -> None:
        self.out.write(text + "\n")

    def error(self, text: str) -> None:
        """Messages that must not pollute machine-readable stdout (--json)."""
        sys.stderr.write(text + "\n")

    # -- the daemon ------------------------------------------------------------
    def rpc(self) -> RpcClient:
        if self._client is None:
            from minder.ctl.transport import Connection, RpcClient

            self._client = RpcClient(
                Connection(self.options.serverurl, self.options.username, self.options.password)
            )
        return self._client

    def call(self, method: str, *params: object) -> Any:
        return self.rpc().call(method, *params)

    def reconnect(self) -> None:
        """Forget the connection (after ``open`` or new credentials)."""
        if self._client is not None:
            self._client.close()
        self._client = None
        self.in_place_update = None  # perhaps another daemon now

    def set_exit_from_fault(self, code: int, ignored: int | None = None) -> None:
        faults = _faults()
        if code in (ignored, faults.SUCCESS):
            return
        if code in (faults.SPAWN_ERROR, faults.ABNORMAL_TERMINATION, faults.NOT_RUNNING):
            self.exitstatus = Exit.NOT_RUNNING
        else:
            self.exitstatus = Exit.GENERIC

    def describe_connection_error(self, exc: OSError) -> tuple[str, int]:
        """A one-line message and supervisorctl's exit code for a socket error."""
        url = self.options.serverurl
        if exc.errno == errno.ECONNREFUSED:
            return f"{url} refused connection", Exit.INSUFFICIENT_PRIVILEGES
        if exc.errno == errno.ENOENT:
            return f"{url} no such file", Exit.NOT_RUNNING
        if exc.errno == errno.EACCES:
            return f"{url} permission denied", Exit.GENERIC
        if isinstance(exc, TimeoutError):
            return f"{url} did not answer in time", Exit.GENERIC
        reason = exc.strerror or str(exc) or type(exc).__name__
        return f"{url}: {reason}", Exit.GENERIC

    def upcheck(self) -> bool:
        """Check that a compatible daemon answers before a command, as supervisorctl does."""
        from minder.ctl.wire import RpcFault

        try:
            api = self.call("supervisor.getVersion")
        except RpcFault as fault:
            if fault.code == _faults().UNKNOWN_METHOD:
                self.output(
                    "Sorry, the daemon answered but does not know the supervisor.* "
                    "methods minderctl uses. Check that the [rpcinterface:supervisor] "
                    "section is in its configuration file."
                )
                self.exitstatus = Exit.UNIMPLEMENTED_FEATURE
                return False
            raise
        except OSError as exc:
            if exc.errno in (errno.ECONNREFUSED, errno.ENOENT):
                message, code = self.describe_connection_error(exc)
                self.output(message)
                self.exitstatus = code
                return False
            raise
        if api != API_VERSION:
            self.output(
                "Sorry, this version of minderctl expects to talk to a server with API "
                f"version {API_VERSION}, but the remote version is {api}."
            )
            self.exitstatus = Exit.NOT_INSTALLED
            return False
        return True
