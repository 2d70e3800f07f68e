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
import os
import shlex
import signal
import socket
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from minder.engine.reaper import Reaper
from minder.model.specs import ProbeSpec

ANSWER_BYTES = 512


@dataclass(frozen=True, slots=True)
class ProbeResult:
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


async def _connect(host: str, port: int) -> socket.socket:
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    last: OSError | None = None
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
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

    async def check(self) -> ProbeResult:
        spec = self._spec
        try:
            async with asyncio.timeout(spec.timeout):
                sock = await _connect(spec.host, spec.port)
        except TimeoutError:
            return ProbeResult(False, f"connect timed out after {spec.timeout:g}s")
        except OSError as exc:
            return ProbeResult(False, f"connect to {spec.host}:{spec.port}: {_why(exc)}")
        sock.close()
        return ProbeResult(True, f"connected to {spec.host}:{spec.port}")


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
