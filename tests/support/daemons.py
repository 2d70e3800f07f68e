"""Run a real daemon (minderd or upstream supervisord) on a temp config.

Used by every e2e test and by the differential tests, which run one
scenario against both daemons. The daemon runs in the foreground (-n) as
our child, so we own its pid and can always clean it up.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import textwrap
import time
import xmlrpc.client
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

VENV_BIN = Path(sys.executable).parent
T = TypeVar("T")


def wait_for(
    predicate: Callable[[], T | Literal[False] | None],
    timeout: float = 20.0,
    interval: float = 0.02,
    what: str = "",
) -> T:
    """Poll ``predicate`` until it returns something truthy (never None or
    False, which the return type says), or fail.

    The default deadline is generous on purpose: most waits are for a spawned
    process, which a loaded 2-core CI runner may take seconds to schedule; a
    poll that succeeds returns at once, so only a failing test pays for it."""
    deadline = time.monotonic() + timeout
    last_exc: BaseException | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as exc:  # the daemon may not be up yet
            last_exc = exc
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout}s waiting for {what or predicate}"
                + (f" (last error: {last_exc!r})" if last_exc else "")
            )
        time.sleep(interval)


class UnixStreamHTTPConnection(http.client.HTTPConnection):
    def __init__(self, path: str, timeout: float = 10.0) -> None:
        super().__init__("localhost", timeout=timeout)
        self.unix_path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self.unix_path)
        except BaseException:
            sock.close()  # an unclosed socket is a ResourceWarning, an error under pytest
            raise
        self.sock = sock


class UnixStreamTransport(xmlrpc.client.Transport):
    def __init__(self, path: str) -> None:
        super().__init__()
        self.unix_path = path

    def make_connection(self, host: Any) -> http.client.HTTPConnection:
        # remembered in _connection so that Transport.close() (and `with proxy:`) closes it
        if self._connection[1] is None:
            self._connection = (host, UnixStreamHTTPConnection(self.unix_path))
        connection = self._connection[1]
        assert connection is not None
        return connection


# An XML-RPC proxy in annotations: its answers are whatever the server
# marshalled (typeshed says a union of every XML-RPC type), checked by value.
Proxy = Any


def proxy_at(url: str, transport: xmlrpc.client.Transport | None = None) -> Proxy:
    """A ServerProxy for ``url`` (TCP, or any transport), typed like ``rpc_proxy``."""
    return xmlrpc.client.ServerProxy(url, transport=transport)


def rpc_proxy(socket_path: str) -> Proxy:
    """A ServerProxy over the unix socket, typed ``Any``: an XML-RPC answer is
    whatever the server marshalled, and the tests check it by value."""
    return xmlrpc.client.ServerProxy(
        "http://localhost", transport=UnixStreamTransport(socket_path), allow_none=False
    )


@dataclass
class RunningDaemon:
    kind: str  # "minderd" or "supervisord"
    proc: subprocess.Popen[bytes]
    conf: Path
    workdir: Path
    socket_path: Path
    logfile: Path
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def serverurl(self) -> str:
        return f"unix://{self.socket_path}"

    def rpc(self) -> Proxy:
        return rpc_proxy(str(self.socket_path))

    def ctl(
        self, *args: str, client: str = "minderctl", timeout: float = 30.0, input: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run minderctl or upstream supervisorctl against this daemon."""
        exe = str(VENV_BIN / client)
        return subprocess.run(
            [exe, "-c", str(self.conf), *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input,
            stdin=None if input is not None else subprocess.DEVNULL,
        )

    def main_log(self) -> str:
        try:
            return self.logfile.read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def stop(self, timeout: float = 30.0) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


def write_config(
    workdir: Path, body: str, *, with_server: bool = True, daemon_keys: str = ""
) -> tuple[Path, Path, Path]:
    """Write ``supervisord.conf`` in ``workdir`` with daemon and server sections.

    ``body`` holds the program sections; ``%(here)s`` is the workdir.
    Returns (config path, socket path, main log path).
    """
    sock = workdir / "minder.sock"
    log = workdir / "daemon.log"
    head = f"""\
        [supervisord]
        logfile={log}
        pidfile={workdir}/daemon.pid
        childlogdir={workdir}
        loglevel=debug
        identifier=testsuper
        """
    extra = [line.strip() for line in daemon_keys.splitlines() if line.strip()]
    head = head.rstrip(" ") + "".join(f"        {line}\n" for line in extra)
    if with_server:
        head += f"""
        [unix_http_server]
        file={sock}

        [supervisorctl]
        serverurl=unix://{sock}

        [rpcinterface:supervisor]
        supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
        """
    conf = workdir / "supervisord.conf"
    conf.write_text(textwrap.dedent(head) + "\n" + textwrap.dedent(body))
    return conf, sock, log


@contextmanager
def run_daemon(
    workdir: Path,
    body: str,
    *,
    kind: str = "minderd",
    extra_args: tuple[str, ...] = (),
    env: dict[str, str] | None = None,
    wait_ready: bool = True,
    daemon_keys: str = "",
) -> Iterator[RunningDaemon]:
    """Start ``kind`` in the foreground on a config built from ``body``.

    ``daemon_keys`` are extra ``key=value`` lines for the ``[supervisord]`` section.
    """
    conf, sock, log = write_config(workdir, body, daemon_keys=daemon_keys)
    exe = VENV_BIN / kind
    if not exe.exists():
        found = shutil.which(kind)
        assert found, f"{kind} is not installed"
        exe = Path(found)
    proc = subprocess.Popen(
        [str(exe), "-n", "-c", str(conf), *extra_args],
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )
    daemon = RunningDaemon(kind, proc, conf, workdir, sock, log)
    try:
        if wait_ready:

            def ready() -> bool:
                if proc.poll() is not None:
                    return True  # reported below: raised in here, wait_for would swallow it
                with rpc_proxy(str(sock)) as proxy:
                    state = proxy.supervisor.getState()
                return bool(state["statename"] == "RUNNING")

            wait_for(ready, timeout=20, what=f"{kind} to answer on {sock}")
            if proc.poll() is not None:
                err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
                raise AssertionError(f"{kind} exited with {proc.returncode}: {err}")
        yield daemon
    finally:
        daemon.stop()
        if proc.stderr:
            proc.stderr.close()


def process_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0] != "Z"
    except FileNotFoundError:
        return False


def descendants(pid: int) -> list[int]:
    """All live descendants of ``pid`` (by walking /proc)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out: list[int] = []
    stack = [pid]
    while stack:
        for child in children.get(stack.pop(), []):
            out.append(child)
            stack.append(child)
    return out
