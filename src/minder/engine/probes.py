"""One probe interface for readiness and liveness: tcp, http, exec.

Why coroutines on raw sockets: a probe must never block the event loop,
and 500 programs probed every second must cost the daemon little. A TCP
probe is one non-blocking ``sock_connect``; an HTTP probe sends a
three-line HTTP/1.0 GET on such a socket and reads only the status line
(no client library, no transport object, no parsing of the body). Each
probe runs under ``asyncio.timeout``, so a hung server, a black-holed
address or a command that never exits is a failure of its own ("timed out
after 1s"), never a stuck check.

An exec probe is a real child of the daemon, so it is spawned with Popen
(no shell, its own process group) and reaped by the engine's one Reaper;
on a timeout its whole process group is killed. Its answer is its exit
status and the last line it printed (at most ``ANSWER_BYTES`` are kept).

``notify`` is not polled: see notify.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Callable
from typing import Protocol

from minder.engine.reaper import Reaper
from minder.model.specs import ProbeSpec
from minder.records import record

ANSWER_BYTES = 512


@record
class ProbeResult:
    """The outcome of one health or readiness check."""

    ok: bool
    answer: str  # one line: "HTTP 200", "connection refused", "exit status 1: ..."


class Probe(Protocol):
    async def check(self) -> ProbeResult: ...


def _why(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno).lower()  # asyncio's text repeats the address
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror.lower()
    return str(exc) or type(exc).__name__


def _literal(host: str) -> int | None:
    """The address family of an IP literal, None for a name."""
    for family in (socket.AF_INET, socket.AF_INET6):
        try:
            socket.inet_pton(family, host)
        except OSError:
            continue
        return family
    return None


def connected_to_itself(sock: socket.socket) -> bool:
    """A TCP self-connect: the kernel picked the target port as the local one.

    Why: probing a local port in the ephemeral range where nothing listens
    can "succeed" through TCP simultaneous open with itself (Linux allows
    it), which would make a program that never opened its port ready.
    """
    try:
        return bool(sock.getsockname() == sock.getpeername())
    except OSError:
        return False


async def _connect(host: str, port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    literal = _literal(host)
    # An IP literal (the usual probe target) needs no getaddrinfo, which asyncio
    # runs in a thread: that hand-off was most of a probe's cost.
    targets: list[tuple[int, tuple[object, ...]]] = (
        [(literal, (host, port))] if literal is not None
        else [(info[0], info[4]) for info in
              await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)]
    )
    last: OSError | None = None
    for family, address in targets:
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        try:
            await loop.sock_connect(sock, address)
            return sock
        except OSError as exc:
            sock.close()
            last = exc
        except BaseException:
            sock.close()
            raise
    raise last or OSError(f"no address for {host}")


class TcpProbe:
    def __init__(self, spec: ProbeSpec) -> None:
        self._spec = spec
        self._family = _literal(spec.host)

    def start(
        self, loop: asyncio.AbstractEventLoop, done: Callable[[ProbeResult], None]
    ) -> Callable[[], None] | None:
        """The cheap path for an IP literal: a non-blocking connect watched with
        add_writer and one timer, no task and no coroutine (what 500 probes a
        second cost, see bench/scenarios/probes.py). Returns a cancel function,
        or None when the coroutine path must be used (a host name)."""
        spec, family = self._spec, self._family
        if family is None:
            return None
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setblocking(False)
        fd = sock.fileno()
        timer: asyncio.TimerHandle | None = None

        def finish(result: ProbeResult) -> None:
            cancel()
            done(result)

        def cancel() -> None:
            if timer is not None:
                timer.cancel()
            if sock.fileno() >= 0:
                loop.remove_writer(fd)
                sock.close()

        def writable() -> None:
            error = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
            finish(self._verdict(error, sock))

        def timed_out() -> None:
            finish(ProbeResult(False, f"connect timed out after {spec.timeout:g}s"))

        error = sock.connect_ex((spec.host, spec.port))
        if error not in (errno.EINPROGRESS, errno.EAGAIN):
            verdict = self._verdict(error, sock)
            sock.close()
            loop.call_soon(done, verdict)
            return lambda: None
        loop.add_writer(fd, writable)
        timer = loop.call_later(spec.timeout, timed_out)
        return cancel

    def _verdict(self, error: int, sock: socket.socket) -> ProbeResult:
        spec = self._spec
        if error == 0 and connected_to_itself(sock):
            return ProbeResult(False, f"connect to {spec.host}:{spec.port}: nothing listens "
                                      "(the connection met itself)")
        if error == 0:
            return ProbeResult(True, f"connected to {spec.host}:{spec.port}")
        return ProbeResult(False, f"connect to {spec.host}:{spec.port}: "
                                  f"{os.strerror(error).lower()}")

    async def check(self) -> ProbeResult:
        spec = self._spec
        try:
            async with asyncio.timeout(spec.timeout):
                sock = await _connect(spec.host, spec.port)
        except TimeoutError:
            return ProbeResult(False, f"connect timed out after {spec.timeout:g}s")
        except OSError as exc:
            return ProbeResult(False, f"connect to {spec.host}:{spec.port}: {_why(exc)}")
        verdict = self._verdict(0, sock)
        sock.close()
        return verdict


class HttpProbe:
    def __init__(self, spec: ProbeSpec) -> None:
        self._spec = spec
        rest = spec.target.split("://", 1)[1]
        path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
        host = spec.host if ":" not in spec.host else f"[{spec.host}]"
        self._request = (
            f"GET {path} HTTP/1.0\r\nHost: {host}:{spec.port}\r\n"
            "User-Agent: minder-probe\r\nConnection: close\r\n\r\n"
        ).encode("latin-1")

    async def check(self) -> ProbeResult:
        spec = self._spec
        loop = asyncio.get_running_loop()
        sock: socket.socket | None = None
        try:
            async with asyncio.timeout(spec.timeout):
                sock = await _connect(spec.host, spec.port)
                await loop.sock_sendall(sock, self._request)
                head = b""
                while b"\n" not in head and len(head) < 1024:
                    chunk = await loop.sock_recv(sock, 1024)
                    if not chunk:
                        break
                    head += chunk
        except TimeoutError:
            return ProbeResult(False, f"GET {spec.target} timed out after {spec.timeout:g}s")
        except OSError as exc:
            return ProbeResult(False, f"GET {spec.target}: {_why(exc)}")
        finally:
            if sock is not None:
                sock.close()
        status = head.split(b"\n", 1)[0].decode("latin-1", "replace").strip()
        parts = status.split(" ", 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
            return ProbeResult(False, f"GET {spec.target}: not an HTTP answer")
        code = int(parts[1])
        said = status[len(parts[0]) + 1 :]
        return ProbeResult(200 <= code < 300, f"GET {spec.target}: HTTP {said}")


class ExecProbe:
    def __init__(self, spec: ProbeSpec, reaper: Reaper, env: Callable[[], dict[str, str]],
                 cwd: str | None) -> None:
        self._spec = spec
        self._argv = shlex.split(spec.target)
        self._reaper = reaper
        self._env = env
        self._cwd = cwd

    async def check(self) -> ProbeResult:
        loop = asyncio.get_running_loop()
        read_fd, write_fd = os.pipe2(os.O_CLOEXEC | os.O_NONBLOCK)
        try:
            popen = subprocess.Popen(
                self._argv, stdin=subprocess.DEVNULL, stdout=write_fd, stderr=write_fd,
                env=self._env(), cwd=self._cwd, close_fds=True, process_group=0,
            )
        except (OSError, subprocess.SubprocessError) as exc:
            os.close(read_fd)
            os.close(write_fd)
            return ProbeResult(False, f"cannot run {self._argv[0]}: {_why(exc)}")
        os.close(write_fd)
        exited: asyncio.Future[int] = loop.create_future()
        output = bytearray()

        def readable() -> None:
            try:
                chunk = os.read(read_fd, 4096)
            except BlockingIOError:
                return
            except OSError:
                chunk = b""
            if not chunk:
                loop.remove_reader(read_fd)
                return
            output.extend(chunk)
            del output[:-ANSWER_BYTES]

        loop.add_reader(read_fd, readable)

        def reaped(code: int) -> None:
            if not exited.done():
                exited.set_result(code)

        self._reaper.watch(popen, reaped)
        try:
            async with asyncio.timeout(self._spec.timeout):
                code = await asyncio.shield(exited)
        except TimeoutError:
            with contextlib.suppress(OSError):
                self._reaper.send_signal(popen.pid, signal.SIGKILL, to_group=True)
            return ProbeResult(False, f"{self._argv[0]} timed out after {self._spec.timeout:g}s")
        finally:
            readable()
            loop.remove_reader(read_fd)
            os.close(read_fd)
        lines = bytes(output).decode("utf-8", "replace").strip().splitlines()
        said = f": {lines[-1][:200]}" if lines else ""
        if code < 0:
            return ProbeResult(False, f"{self._argv[0]} killed by signal {-code}{said}")
        return ProbeResult(code == 0, f"exit status {code}{said}")


def make_probe(spec: ProbeSpec, reaper: Reaper, env: Callable[[], dict[str, str]],
               cwd: str | None) -> Probe | None:
    """The probe for a spec; None for ``notify``, which the process pushes."""
    if spec.kind == "tcp":
        return TcpProbe(spec)
    if spec.kind == "http":
        return HttpProbe(spec)
    if spec.kind == "exec":
        return ExecProbe(spec, reaper, env, cwd)
    return None
