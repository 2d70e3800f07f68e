"""The precompiled ``__init__`` of records (minder.records, tools/gen_record_inits.py).

The module of factories must be current (else every changed record silently
compiles again), every factory must be exactly what its key text compiles
to, every record of minder must get its ``__init__`` from there, and a
record that is not there must still be made, by the real ``exec``.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
import pkgutil
import platform
import subprocess
import sys
import types
from pathlib import Path

import pytest

import minder
from minder import records
from minder.records import mutable_record, record

pytestmark = pytest.mark.skipif(
    sys.version_info >= (3, 13),
    reason="3.13 compiles a dataclass in one exec: nothing to precompile",
)
ROOT = Path(__file__).resolve().parents[2]


def _factories() -> dict[str, types.FunctionType]:
    module = importlib.import_module(records.init_factories_module())
    generated_on = getattr(module, "GENERATED_ON", None)
    if generated_on != platform.python_version():
        pytest.skip(f"generated on CPython {generated_on}, this is {platform.python_version()}: "
                    "its texts may differ, and a text not found is compiled as before")
    return module.FACTORIES  # type: ignore[no-any-return]


def _same_code(a: types.CodeType, b: types.CodeType) -> bool:
    """The same bytecode, names and constants (nested functions too); file and line aside."""
    simple = ("co_code", "co_names", "co_varnames", "co_freevars", "co_cellvars",
              "co_argcount", "co_kwonlyargcount", "co_posonlyargcount", "co_flags", "co_name")
    if any(getattr(a, attr) != getattr(b, attr) for attr in simple):
        return False
    if len(a.co_consts) != len(b.co_consts):
        return False
    for x, y in zip(a.co_consts, b.co_consts, strict=True):
        if isinstance(x, types.CodeType) and isinstance(y, types.CodeType):
            if not _same_code(x, y):
                return False
        elif x != y or type(x) is not type(y):
            return False
    return True


def test_the_module_of_factories_is_current() -> None:
    """A record changed without `make record-inits` fails here, not only at import speed."""
    _factories()  # skips on another patch version of Python than the module's
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "gen_record_inits.py"), "--check"],
        capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr


def test_each_factory_is_its_text_compiled() -> None:
    factories = _factories()
    assert len(factories) > 50
    for text, factory in factories.items():
        namespace: dict[str, object] = {}
        # the reference: what dataclasses' own exec makes (no __future__ flags of ours)
        exec(compile(text, "<string>", "exec", dont_inherit=True), {}, namespace)
        reference = namespace["__create_fn__"]
        assert isinstance(reference, types.FunctionType)
        assert _same_code(factory.__code__, reference.__code__), text[:200]


def _minder_records() -> list[type]:
    found = []
    for info in pkgutil.walk_packages(minder.__path__, "minder."):
        if info.name.endswith("__main__") or info.name == records.init_factories_module():
            continue
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            if (inspect.isclass(value) and value.__module__ == info.name
                    and "__dataclass_params__" in vars(value)
                    and "__init__" in vars(value)):
                found.append(value)
    return found


def test_every_record_of_minder_gets_its_init_precompiled() -> None:
    _factories()
    made = _minder_records()
    assert len(made) > 50
    generated = records.init_factories_module().rsplit(".", 1)[1] + ".py"
    elsewhere = [cls.__qualname__ for cls in made
                 if not vars(cls)["__init__"].__code__.co_filename.endswith(generated)]
    assert elsewhere == []


def test_a_record_not_precompiled_is_compiled_by_exec() -> None:
    @record
    class Unheard:
        an_odd_field_name_for_a_test: int
        another: str = "x"

    @mutable_record
    class AlsoUnheard:
        counter_that_no_record_of_minder_has: int = 0

    assert Unheard(1).another == "x"
    assert Unheard(2, "y") == Unheard(2, "y")
    assert AlsoUnheard().counter_that_no_record_of_minder_has == 0
    assert Unheard.__init__.__code__.co_filename == "<string>"
    assert "exec" not in vars(dataclasses), "the swap of exec was not undone"


def test_a_precompiled_init_behaves_as_the_compiled_one() -> None:
    """Same text, same function: defaults, factories, frozenness and the signature."""
    from minder.model.specs import LogSpec

    fresh: type = dataclasses.dataclass(frozen=True, slots=True)(
        type("LogSpec", (), {"__annotations__": dict(LogSpec.__annotations__),
                             **{f.name: f for f in dataclasses.fields(LogSpec)}})
    )
    assert str(inspect.signature(LogSpec)) == str(inspect.signature(fresh))
    made = LogSpec(path="/x", auto=False)
    assert made == dataclasses.replace(made)
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.path = "/y"  # type: ignore[misc]
