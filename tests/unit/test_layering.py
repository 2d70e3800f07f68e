"""The import direction of docs/architecture.md, checked on the source text.

protocol <- model <- config; model <- engine <- engine.api <- rpc <- http;
daemon may import everything; ctl imports protocol and the standard library
only (so `minderctl` starts fast and never loads the server).
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "minder"

# package -> minder packages it may import
ALLOWED: dict[str, set[str]] = {
    "protocol": {"protocol", "records"},
    "model": {"protocol", "model", "records"},
    "config": {"protocol", "model", "config", "records"},
    "engine": {"protocol", "model", "engine", "unixsocket", "records"},
    "rpc": {"protocol", "model", "engine", "rpc", "records"},
    "http": {"protocol", "model", "engine", "rpc", "http", "unixsocket", "records"},
    "ctl": {"protocol", "ctl"},
    "daemon": {"protocol", "model", "config", "engine", "rpc", "http", "daemon", "ctl", "records"},
    "childutils": {"protocol"},
    "unixsocket": set(),
    "records": set(),
}

THIRD_PARTY_FORBIDDEN = {
    "protocol": {"aiohttp", "psutil"},
    "model": {"aiohttp", "psutil"},
    "config": {"aiohttp"},
    "engine": {"aiohttp"},
    "rpc": {"aiohttp"},
    "ctl": {"aiohttp", "psutil"},
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def _sources() -> list[Path]:
    return sorted(p for p in SRC.rglob("*.py"))


@pytest.mark.parametrize("path", _sources(), ids=lambda p: str(p.relative_to(SRC)))
def test_import_direction(path: Path) -> None:
    package = _package_of(path)
    allowed = ALLOWED.get(package)
    for name in _imports(path):
        top = name.split(".")
        if top[0] == "minder" and len(top) > 1 and allowed is not None:
            assert top[1] in allowed or top[1] == "__init__", (
                f"{path.relative_to(SRC)} imports {name}: {package} may import only {allowed}"
            )
        forbidden = THIRD_PARTY_FORBIDDEN.get(package, set())
        assert top[0] not in forbidden, f"{path.relative_to(SRC)} imports {name}"


FRONT_ENDS = ("rpc", "http")


@pytest.mark.parametrize(
    "path",
    [p for p in _sources() if _package_of(p) in FRONT_ENDS],
    ids=lambda p: str(p.relative_to(SRC)),
)
def test_front_ends_reach_the_engine_only_through_its_api(path: Path) -> None:
    """rpc and http see the engine as EngineAPI and its plain data, nothing else.

    What the engine does (verbs, log reading, usage sampling) stays behind
    minder.engine.api, so a front end cannot grow a second copy of it.
    """
    for name in _imports(path):
        if name == "minder.engine" or name.startswith("minder.engine."):
            assert name == "minder.engine.api", (
                f"{path.relative_to(SRC)} imports {name}: front ends import only minder.engine.api"
            )


def test_ctl_imports_only_stdlib_and_protocol() -> None:
    stdlib = set(sys.stdlib_module_names)
    for path in (SRC / "ctl").rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            if top == "minder":
                assert name == "minder" or name.split(".")[1] in {"protocol", "ctl"}, name
            else:
                assert top in stdlib, f"{path.name} imports non-stdlib {name}"
