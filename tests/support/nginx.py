"""Run a real nginx (Debian's) as our child, for the reverse-proxy tests.

Both the web UI tests and the user's-guide test put nginx in front of
minderd's unix socket the way the guide does; this module owns the parts
they share: the main config with private temp paths, the ``{SHA}``
htpasswd line, start-up until it listens, and a shutdown that waits for
every worker by pid.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.daemons import descendants, wait_for

NGINX = shutil.which("nginx") or "/usr/sbin/nginx"
TEMP_KINDS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


def sha_htpasswd_line(user: str, password: str) -> str:
    digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
    return f"{user}:{{SHA}}{digest}\n"


def main_config(prefix: Path, http_body: str, *, user: str | None = None) -> Path:
    """Write ``prefix/nginx.conf`` with ``http_body`` inside ``http {}``.

    ``user`` is the workers' user (only meaningful when we are root).
    """
    for kind in TEMP_KINDS:
        (prefix / "tmp" / kind).mkdir(parents=True, exist_ok=True)
    temps = "".join(f"    {kind}_temp_path {prefix}/tmp/{kind};\n" for kind in TEMP_KINDS)
    head = f"user {user};\n" if user and os.geteuid() == 0 else ""
    conf = prefix / "nginx.conf"
    conf.write_text(
        f"{head}worker_processes 1;\npid {prefix}/nginx.pid;\n"
        f"error_log {prefix}/error.log warn;\nevents {{ worker_connections 128; }}\n"
        f"http {{\n    access_log {prefix}/access.log;\n{temps}{http_body}}}\n"
    )
    return conf


@contextmanager
def run_nginx(prefix: Path, conf: Path, port: int) -> Iterator[subprocess.Popen[bytes]]:
    """nginx in the foreground on ``conf``; stopped, workers reaped, on exit."""
    proc = subprocess.Popen(
        [NGINX, "-p", f"{prefix}/", "-c", str(conf), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:

        def listening() -> bool:
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                raise AssertionError(f"nginx exited with {proc.returncode}: {err}")
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True

        wait_for(listening, timeout=20, what="nginx to listen")
        yield proc
    finally:
        workers = descendants(proc.pid)
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
        deadline = time.monotonic() + 10
        for pid in workers:
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
