"""Find or install each peer, and build the C child, in a bench-only cache.

Nothing here is a dependency of minder or of its tests: the first
``python -m bench --peers`` installs what it can and every later run reuses
it. A peer that cannot be had is skipped with the reason (``problem``).

- Circus: its own virtualenv from PyPI, ``CACHE/circus``.
- PM2: ``npm install pm2`` into ``CACHE/pm2`` (the machine's ``node``).
- s6 and runit: Debian's packages, through apt (the bench runs as root;
  anyone else installs them by hand and the bench finds them on PATH).
- The child: ``cc -O2`` of ``bench/peers/child.c`` into ``CACHE/child-<hash>``,
  rebuilt whenever the source changes.

``BENCH_PEERS_CACHE`` moves the cache (default ``~/.cache/minder-bench``).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CACHE = Path(os.environ.get("BENCH_PEERS_CACHE", Path.home() / ".cache" / "minder-bench"))
CHILD_SOURCE = Path(__file__).with_name("child.c")
_INSTALL_TIMEOUT = 600
# False in the test suite: a peer is then used only if it is already there.
ALLOW_INSTALL = True


class Missing(Exception):
    """A peer (or the child) cannot be had here; the message says why."""


def _run(argv: list[str], log: Path, env: dict[str, str] | None = None) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    with open(log, "ab") as out:
        res = subprocess.run(
            argv, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            timeout=_INSTALL_TIMEOUT, check=False, env=env,
        )
    if res.returncode != 0:
        tail = log.read_text(errors="replace").strip().splitlines()[-1:] or ["?"]
        raise Missing(f"{' '.join(argv[:3])} failed ({res.returncode}): {tail[0][:120]}")


def _may_install(what: str) -> None:
    if not ALLOW_INSTALL:
        raise Missing(f"{what} is not installed (the bench installs it; tests never do)")


def child() -> Path:
    """The compiled child program (built with the machine's ``cc`` on first use)."""
    return compiled(CHILD_SOURCE)


def compiled(source_path: Path) -> Path:
    """``source_path`` (a C file) built with the machine's ``cc``, once per version of it."""
    source = source_path.read_bytes()
    exe = CACHE / f"{source_path.stem}-{hashlib.sha256(source).hexdigest()[:12]}"
    if exe.exists():
        return exe
    cc = os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc")
    if cc is None:
        raise Missing(f"no C compiler (cc) on PATH to build {source_path.name}")
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = exe.with_suffix(".tmp")
    _run([cc, "-O2", "-o", str(tmp), str(source_path)], CACHE / f"{source_path.stem}-build.log")
    tmp.rename(exe)
    return exe


def circus() -> Path:
    """The directory holding ``circusd`` and ``circusctl``."""
    venv = CACHE / "circus"
    bindir = venv / "bin"
    if (bindir / "circusd").exists() and (bindir / "circusctl").exists():
        return bindir
    _may_install("Circus (PyPI)")
    log = CACHE / "circus-install.log"
    if not (bindir / "python").exists():
        _run([sys.executable, "-m", "venv", str(venv)], log)
    _run([str(bindir / "python"), "-m", "pip", "install", "-q", "circus"], log)
    return bindir


def pm2() -> Path:
    """The ``pm2`` command (installed with npm, run with the machine's node)."""
    prefix = CACHE / "pm2"
    exe = prefix / "node_modules" / ".bin" / "pm2"
    if exe.exists():
        return exe
    if shutil.which("node") is None or shutil.which("npm") is None:
        raise Missing("PM2 needs node and npm on PATH")
    _may_install("PM2 (npm)")
    prefix.mkdir(parents=True, exist_ok=True)
    _run(
        ["npm", "install", "--no-audit", "--no-fund", "--prefix", str(prefix), "pm2"],
        CACHE / "pm2-install.log",
    )
    return exe


def debian(package: str, commands: tuple[str, ...]) -> dict[str, str]:
    """Paths of ``commands``, installing Debian's ``package`` with apt if needed."""

    def found() -> dict[str, str] | None:
        paths = {c: shutil.which(c) for c in commands}
        return None if None in paths.values() else {c: p for c, p in paths.items() if p}

    if (paths := found()) is not None:
        return paths
    _may_install(f"Debian's {package}")
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise Missing(f"{commands[0]} not on PATH (install Debian's {package} package)")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    log = CACHE / f"{package}-install.log"
    try:
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package], log, env=env)
    except Missing:
        _run(["apt-get", "update", "-q"], log, env=env)
        _run(["apt-get", "install", "-y", "-q", "--no-install-recommends", package], log, env=env)
    if (paths := found()) is None:
        raise Missing(f"apt installed {package} but {commands[0]} is still not on PATH")
    return paths


def problem(get: Callable[[], object]) -> str | None:
    """None when ``get`` finds or installs the tool, else why it cannot."""
    try:
        get()
    except Missing as exc:
        return str(exc)
    except (OSError, subprocess.SubprocessError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return None
