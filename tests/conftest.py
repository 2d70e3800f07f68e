"""Shared test configuration: every test is marked by its tier's directory."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Property tests check results, not speed: hypothesis's default 200 ms deadline per
# example and its too-slow health check fail them at random on a loaded 2-core runner.
settings.register_profile(
    "minder", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile("minder")

TIERS = ("unit", "integration", "e2e", "install", "security")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).parts
        for tier in TIERS:
            if tier in parts:
                item.add_marker(getattr(pytest.mark, tier))
