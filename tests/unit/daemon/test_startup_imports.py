"""minderd imports nothing before its first spawn that only later work needs.

Every millisecond of import is paid before the first child starts (issue 19:
500 programs all started within 1.3x the fork+exec floor, counted from the
first command). These modules are imported where they are first used, so
this runs a fresh interpreter: it imports the daemon's entry point, checks
that none of them came with it, then uses each lazy path once and checks it
still works there (the module really is imported on first use).
"""

from __future__ import annotations

import ast
import subprocess
import sys
import textwrap
from pathlib import Path

# What each one is for, and where it is imported instead.
LAZY = {
    "minder.rpc.xmlcodec": "XML-RPC answers (its regexes took ~10 ms to compile)",
    "minder.rpc.infocache": "getAllProcessInfo's cache",
    "difflib": "did-you-mean for a misspelt config name",
    "glob": "[include] files=",
    "urllib.parse": "tcp:/http: health probes",
    "ipaddress": "the loopback check of TCP servers",
    "pkgutil": "preloading modules before user= drops privileges",
    # tempfile brings shutil, and shutil bz2 and lzma (with their C libraries)
    "tempfile": "the default childlogdir, when the config names none",
    "shutil": "the notify sockets' directory",
    "bz2": "nothing (shutil's archive support)",
    "lzma": "nothing (shutil's archive support)",
    # tests/e2e's event listener tests (superlance) use them in a fresh daemon
    "minder.engine.events.pool": "[eventlistener:x] pools",
    "minder.engine.events.render": "events rendered for a pool",
    "minder.engine.events.capture": "*_capture_maxbytes",
}

CHECK = textwrap.dedent(
    """
    import socket, sys
    import minder.daemon.main  # the daemon's entry point
    lazy = %r
    early = sorted(name for name in lazy if name in sys.modules)
    assert not early, f"imported by the daemon's start-up: {early}"

    from minder.config.suggest import closest
    assert closest("comand", ["command", "directory"]) == "command"
    from minder.config.health import probe
    assert probe("tcp://127.0.0.1:8080").kind == "tcp"
    from minder.config.servers import _loopback
    assert _loopback("127.0.0.1") and not _loopback("192.0.2.1")
    from minder.http.sockets import is_loopback
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        assert is_loopback(s)
    from minder.engine.notify import NotifyDirectory
    import os
    notify = NotifyDirectory()
    path = notify.new_path()
    assert os.path.isdir(os.path.dirname(path))
    notify.close()
    assert not os.path.exists(os.path.dirname(path))
    from minder.rpc.infocache import ProcessInfoCache
    ProcessInfoCache()
    import tempfile
    from minder.config import load
    conf = os.path.join(tempfile.gettempdir(), f"minder-startup-imports-{os.getpid()}.conf")
    with open(conf, "w") as f:
        f.write("[supervisord]\\n[program:a]\\ncommand=/bin/true\\n")
    assert load(conf, strict=False, cwd="/").root.daemon.childlogdir == tempfile.gettempdir()
    os.unlink(conf)
    for name in ("difflib", "urllib.parse", "ipaddress", "minder.rpc.xmlcodec", "shutil"):
        assert name in sys.modules, name
    print("ok")
    """
)


def test_daemon_start_path_leaves_later_work_unimported() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHECK % (list(LAZY),)],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


GC_STATE = """
import gc, sys
wanted = sys.argv[1] == "on"
gc.enable() if wanted else gc.disable()
import minder.daemon.main  # pauses the collector while the daemon's modules load
assert gc.isenabled() is wanted, gc.isenabled()
print("ok")
"""


def test_loading_the_daemon_leaves_the_collector_as_it_found_it() -> None:
    for state in ("on", "off"):
        result = subprocess.run(
            [sys.executable, "-c", GC_STATE, state],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "ok"


# Imported inside functions, but only by a command-line path that runs
# before any privilege drop (``--version``, ``python -m minder.config.schema``)
# or by the preload itself.
BEFORE_ANY_DROP = {"argparse", "platform", "importlib.metadata", "pkgutil"}
SRC = Path(__file__).resolve().parents[3] / "src" / "minder"

PRELOADED = """
import importlib, sys
import minder.daemon.main as main
for name in main.LAZY_STDLIB:
    importlib.import_module(name)
print("\\n".join(sorted(sys.modules)))
"""


def _late_stdlib_imports() -> dict[str, str]:
    """Standard-library modules the daemon's code imports inside functions -> where."""
    found: dict[str, str] = {}
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC)
        if rel.parts[0] == "ctl" or path.name == "__main__.py":
            continue
        for function in ast.walk(ast.parse(path.read_text())):
            if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(function):
                if not isinstance(node, (ast.Import, ast.ImportFrom)):
                    continue
                names = [alias.name for alias in node.names]
                if isinstance(node, ast.ImportFrom):
                    names = [node.module] if node.module and node.level == 0 else []
                for name in names:
                    if name.split(".")[0] in sys.stdlib_module_names:
                        found.setdefault(name, f"{rel}:{node.lineno}")
    return found


def test_every_late_standard_library_import_is_preloaded_before_user_drops_privileges() -> None:
    """With ``user=``, the interpreter's files may be unreadable after the switch
    (a Python under /root): what the daemon imports later must be in LAZY_STDLIB,
    which main() imports before it drops privileges."""
    result = subprocess.run(
        [sys.executable, "-c", PRELOADED], capture_output=True, text=True, timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    available = set(result.stdout.split())
    missing = {
        name: where for name, where in _late_stdlib_imports().items()
        if name not in available and name not in BEFORE_ANY_DROP
    }
    assert not missing, f"add to minder.daemon.main.LAZY_STDLIB: {missing}"
