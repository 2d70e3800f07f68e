"""Fixtures for attacks by a program or local user running as ``nobody``.

pytest's ``tmp_path`` lives under a 0700 directory that ``nobody`` cannot
enter, so these attacks get a directory under /tmp that every user can
traverse (and only root can write), removed afterwards.
"""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def nobody() -> pwd.struct_passwd:
    if os.geteuid() != 0:
        pytest.skip("needs root: the attacks run as user nobody against a root daemon")
    try:
        return pwd.getpwnam("nobody")
    except KeyError:
        pytest.skip("no user 'nobody' on this machine")


@pytest.fixture
def open_dir() -> Iterator[Path]:
    """A root-owned 0755 directory that every user can traverse."""
    path = Path(tempfile.mkdtemp(prefix="minder-sec-", dir="/tmp"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def sticky_dir(open_dir: Path) -> Path:
    """A directory like /tmp (mode 1777): anyone creates names, only owners remove them."""
    path = open_dir / "shared"
    path.mkdir()
    path.chmod(0o1777)
    return path
