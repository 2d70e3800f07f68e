"""Tiny child programs the daemons run (executed as scripts with ``python -S -I``).

They import only built-in modules so that interpreter start-up is as short
as it can be and identical under both daemons.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).parent


def command(script: str, *args: object) -> str:
    """The ``command=`` line that runs ``script`` with the bench's Python."""
    parts = [sys.executable, "-S", "-I", str(HERE / script), *(str(a) for a in args)]
    return " ".join(parts)
