"""The fast snapshot builders make exactly what the dataclass constructors make."""

from __future__ import annotations

import dataclasses
import inspect
from typing import Any

import pytest

from minder.engine.api import ProcessSnapshot, VitalsSnapshot
from minder.engine.snapbuild import new_snapshot, new_vitals
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState

VITALS: dict[str, Any] = {
    "ready": True, "ready_check": "tcp:80", "health_check": "http://x/", "status": "up",
    "health_failures": 2, "last_answer": "200", "restarts": 3, "health_restarts": 4,
    "memory_restarts": 5, "last_exit": "exit status 1", "essential": True, "waiting": "db",
}


def snapshot_fields(vitals: VitalsSnapshot | None) -> dict[str, Any]:
    return {
        "group": "g", "name": "a", "state": ProcessState.BACKOFF, "pid": 12, "start": 1.5,
        "stop": 2.5, "now": 3.5, "exitstatus": -1, "spawnerr": "e", "stdout_logfile": "/o",
        "stderr_logfile": "/e", "spec": ProcessSpec(name="a", program_name="g", command="x"),
        "group_priority": 7, "next_start": 9.5, "vitals": vitals,
    }


@pytest.mark.parametrize(
    ("cls", "builder"), [(VitalsSnapshot, new_vitals), (ProcessSnapshot, new_snapshot)]
)
def test_builders_take_every_field(cls: type, builder: Any) -> None:
    """A field added to the class must be added to its builder (a test, not a comment)."""
    names = [f.name for f in dataclasses.fields(cls)]
    assert list(inspect.signature(builder).parameters) == names


@pytest.mark.parametrize("with_vitals", [True, False])
def test_built_snapshots_equal_constructed_ones(with_vitals: bool) -> None:
    vitals = new_vitals(**VITALS)
    assert vitals == VitalsSnapshot(**VITALS)
    assert type(vitals) is VitalsSnapshot and hash(vitals) == hash(VitalsSnapshot(**VITALS))
    fields = snapshot_fields(vitals if with_vitals else None)
    built = new_snapshot(**fields)
    assert built == ProcessSnapshot(**fields)
    assert type(built) is ProcessSnapshot
    assert dataclasses.asdict(built) == dataclasses.asdict(ProcessSnapshot(**fields))


def test_built_snapshots_stay_frozen() -> None:
    built = new_snapshot(**snapshot_fields(None))
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.pid = 1  # type: ignore[misc]
    assert dataclasses.replace(built, pid=1).pid == 1
