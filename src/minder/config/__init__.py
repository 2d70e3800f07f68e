"""Config text → frozen specs (see docs/architecture.md for what this package owns).

``load(path)`` reads a supervisord 4.3 config (plus minder's extensions),
``find_config_file`` applies supervisord's search order, and
``minder.config.check.run_check`` is ``minderd --check``.

The names are imported lazily so ``python -m minder.config.check`` and
``python -m minder.config.schema`` run their module only once.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from minder.config.diagnostics import ConfigError, Diagnostic
    from minder.config.loader import LoadResult, find_config_file, load

__all__ = ["ConfigError", "Diagnostic", "LoadResult", "find_config_file", "load"]

_HOMES = {
    "ConfigError": "minder.config.diagnostics",
    "Diagnostic": "minder.config.diagnostics",
    "LoadResult": "minder.config.loader",
    "find_config_file": "minder.config.loader",
    "load": "minder.config.loader",
}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
