"""minderd's start-up path imports no aiohttp, nor OpenSSL (checked on the source text).

aiohttp is about a third of minderd's memory and most of its start-up
time, and a daemon driven only through XML-RPC never needs it: the fast
path (minder.http.fastpath) imports it on the first request it hands over.
This follows every module-level ``import`` from the daemon's entry point
through minder's own modules (not those inside functions or under
``if TYPE_CHECKING``) and fails if any of them reaches aiohttp or its
dependencies. tests/e2e/test_rpc_fastpath.py checks the running daemon.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"
ENTRY_POINTS = ("minder.daemon.main", "minder.http.server")
# aiohttp and the packages it brings in; hashlib and hmac load OpenSSL's
# libcrypto (~3.5 MiB), which the password check does without; xmlrpc.client
# imports http.client, which loads ssl (the codec builds values itself).
HEAVY = {
    "aiohttp",
    "yarl",
    "multidict",
    "propcache",
    "frozenlist",
    "aiosignal",
    "aiohappyeyeballs",
    "hashlib",
    "hmac",
    "ssl",
    "xmlrpc",
}


def _file_of(module: str) -> Path | None:
    base = SRC.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _eager_imports(statements: list[ast.stmt]) -> list[str]:
    """Modules imported when the module body runs (not in functions or classes)."""
    names: list[str] = []
    for node in statements:
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.If):
            if not _is_type_checking(node.test):
                names += _eager_imports(node.body)
            names += _eager_imports(node.orelse)
        elif isinstance(node, ast.Try):
            for block in (node.body, node.orelse, node.finalbody):
                names += _eager_imports(block)
            for handler in node.handlers:
                names += _eager_imports(handler.body)
        elif isinstance(node, ast.With):
            names += _eager_imports(node.body)
    return names


def _reachable(entry: str) -> dict[str, str]:
    """Every module reachable from ``entry`` by eager imports → who imports it."""
    seen: dict[str, str] = {entry: "(entry point)"}
    stack = [entry]
    while stack:
        module = stack.pop()
        path = _file_of(module)
        if path is None:
            continue
        parents = [".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)]
        for name in [*parents, *_eager_imports(ast.parse(path.read_text()).body)]:
            if name not in seen and (name.split(".")[0] != "minder" or _file_of(name)):
                seen[name] = module
                stack.append(name)
    return seen


def test_the_daemon_start_up_path_never_imports_aiohttp() -> None:
    assert "minder.http.fastpath" in _reachable("minder.http.server")
    for entry in ENTRY_POINTS:
        reached = _reachable(entry)
        heavy = {name: by for name, by in reached.items() if name.split(".")[0] in HEAVY}
        assert not heavy, f"{entry} eagerly imports {heavy}"


def test_the_check_sees_an_eager_aiohttp_import() -> None:
    """The walk does find aiohttp where it is imported at module level."""
    reached = _reachable("minder.http.app")
    assert reached.get("aiohttp") == "minder.http.app"
