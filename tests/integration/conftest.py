"""Every integration test fails if it leaves a child process or a zombie behind.

The check is ``engine_helpers.no_leftovers``; requesting it from an autouse
fixture here means a new test file cannot forget it (issue 14: before, 4 of
18 files used it).
"""

from __future__ import annotations

import pytest

from tests.integration.engine_helpers import no_leftovers

__all__ = ["no_leftovers"]  # a fixture: importing it here makes it visible to every test


@pytest.fixture(autouse=True)
def _no_leftovers_everywhere(no_leftovers: None) -> None:
    """Only requests the check; no_leftovers does the work around the test."""
