from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from minder.engine.api import ConfigDiff
from minder.rpc.methods import build_table
from minder.rpc.table import RpcTable
from tests.fakes.engine import FakeEngine


@pytest.fixture
def engine() -> FakeEngine:
    engine = FakeEngine({"a": ["a"], "g": ["g_00", "g_01"]})
    engine.pending = ConfigDiff(added=("new",), changed=("g",), removed=())
    return engine


@pytest.fixture
def table(engine: FakeEngine) -> RpcTable:
    return build_table(engine)


@pytest.fixture
def call(table: RpcTable) -> Callable[..., Any]:
    """Run one XML-RPC method on the table, synchronously."""

    def run(name: str, *params: Any) -> Any:
        return asyncio.run(table.call(name, params))

    return run
