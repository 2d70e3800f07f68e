"""minder.records against dataclasses.dataclass, on classes hypothesis makes.

Each example builds the same class body twice: once with the standard
library's ``@dataclass(frozen=..., slots=True)``, once with ``@record`` or
``@mutable_record``, then checks that everything observable is the same:
construction, ``==`` (identity included, as tuples compare), ``hash``,
``repr`` (recursive ones too), fields, ``replace``, ``__match_args__``,
frozen errors, copies, unhashability, inheritance, ``__post_init__`` and a
class body's own dunders. A failure prints the class spec that differs.
"""

from __future__ import annotations

import copy
import dataclasses
import inspect
import pickle
import sys
from collections.abc import Callable
from dataclasses import field
from typing import Any, ClassVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from minder.records import mutable_record, record


class Boom:
    """A value whose comparison and hash fail: the error must come through."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("no comparing")

    def __hash__(self) -> int:
        raise ValueError("no hashing")

    def __repr__(self) -> str:
        return "Boom()"


NAN = float("nan")  # one object: equal to itself by identity inside a tuple only
VALUES = st.one_of(
    st.integers(-2, 2),
    st.sampled_from(["", "x", NAN, None, (1, "t"), 1.0, True]),
    st.builds(Boom),
    st.lists(st.integers(0, 1), max_size=2),  # unhashable
)

FIELD = st.fixed_dictionaries(
    {
        "default": st.sampled_from(["none", "value", "factory"]),
        "compare": st.booleans(),
        "hash": st.sampled_from([None, True, False]),
        "repr": st.booleans(),
        "kind": st.sampled_from(["plain", "field"]),
    }
)
BODY = st.fixed_dictionaries(
    {
        "frozen": st.booleans(),
        "fields": st.lists(
            st.tuples(st.sampled_from(["a", "b", "c", "x", "y"]), FIELD),
            max_size=5,
            unique_by=lambda pair: pair[0],
        ),
        "classvar": st.booleans(),
        "post_init": st.booleans(),
        # dunders the body defines itself ("unhashable": __hash__ = None)
        "own": st.sets(st.sampled_from(["__eq__", "__hash__", "__repr__", "unhashable"])),
    }
)


def _namespace(body: dict[str, Any], qualname: str) -> dict[str, Any]:
    """A fresh class body (fresh Field objects: dataclass writes into them)."""
    annotations: dict[str, str] = {}
    ns: dict[str, Any] = {
        "__module__": __name__,
        "__qualname__": qualname,
        "__annotations__": annotations,
    }
    # no-default fields first, as a class author must write them
    for name, spec in sorted(body["fields"], key=lambda pair: pair[1]["default"] != "none"):
        annotations[name] = "object"  # a string, as under `from __future__ import annotations`
        options = {"compare": spec["compare"], "hash": spec["hash"], "repr": spec["repr"]}
        if spec["default"] == "value":
            options["default"] = 7
        elif spec["default"] == "factory":
            options["default_factory"] = tuple
        if spec["kind"] == "field" or spec["default"] == "factory":
            ns[name] = field(**options)
        elif spec["default"] == "value":
            ns[name] = 7
    if body["classvar"]:
        annotations["shared"] = "ClassVar[int]"
        ns["shared"] = 5
    if body["post_init"]:
        ns["__post_init__"] = _post_init
    for dunder in sorted(body["own"]):
        if dunder == "unhashable":
            ns["__hash__"] = None
        else:
            ns[dunder] = _OWN[dunder]
    return ns


def _post_init(self: Any) -> None:
    """Refuses one value and rewrites another, as a validating record would."""
    for f in dataclasses.fields(self):
        value = getattr(self, f.name)
        if value == "x":
            raise ValueError(f"{f.name} may not be 'x'")
        if value == -2:
            object.__setattr__(self, f.name, 2)


_OWN: dict[str, Callable[..., object]] = {
    "__eq__": lambda self, other: "own eq",
    "__hash__": lambda self: 42,
    "__repr__": lambda self: "own repr",
}


def _decorate(theirs: bool, frozen: bool) -> Callable[[type], type]:
    if theirs:
        return dataclasses.dataclass(frozen=frozen, slots=True)
    return record if frozen else mutable_record


def _build(bodies: list[dict[str, Any]], theirs: bool) -> type:
    """The class of the last body, each body subclassing the one before."""
    bases: tuple[type, ...] = ()
    made: type = object
    for depth, body in enumerate(bodies):
        name = f"Rec{depth}"
        made = _decorate(theirs, body["frozen"])(type(name, bases, _namespace(body, name)))
        bases = (made,)
    return made


def _outcome(action: Callable[[], object]) -> tuple[object, ...]:
    """What an action gives, comparable between the two implementations."""
    try:
        result = action()
    except Exception as e:
        return ("raised", type(e).__name__, str(e))
    # by repr: values may refuse to compare (Boom), copies are other objects
    if dataclasses.is_dataclass(result) and not isinstance(result, type):
        values = [repr(getattr(result, f.name)) for f in dataclasses.fields(result)]
        return ("record", repr(result), values)
    return ("gave", type(result).__name__, repr(result))


def _class_facts(cls: type) -> tuple[object, ...]:
    return (
        cls.__qualname__,
        [
            (f.name, f.default, f.default_factory, f.init, f.repr, f.hash, f.compare, f.kw_only)
            for f in dataclasses.fields(cls)
        ],
        getattr(cls, "__match_args__", None),
        vars(cls)["__slots__"],
        str(inspect.signature(cls)),
        cls.__doc__,
        cls.__hash__ is None,
        repr(vars(cls)["__dataclass_params__"]),
        [
            getattr(getattr(cls, m), "__qualname__", None)
            for m in ("__eq__", "__hash__", "__repr__", "__setattr__", "__delattr__")
        ],
        cls.__eq__ is object.__eq__,
    )


def _instance_facts(make: Callable[[], Any], other: Callable[[], Any]) -> list[object]:
    facts: list[object] = [_outcome(make)]
    try:
        one, two = make(), other()
    except Exception:
        return facts
    return [
        *facts,
        _outcome(lambda: repr(one)),
        _outcome(lambda: one == two),
        _outcome(lambda: one != two),
        _outcome(lambda: one == one),  # identity inside the tuple counts
        _outcome(lambda: one == (1,)),
        _outcome(lambda: hash(one)),
        _outcome(lambda: hash(one) == hash(two)),
        _outcome(lambda: dataclasses.replace(one)),
        _outcome(lambda: dataclasses.astuple(one)),
        _outcome(lambda: copy.copy(one)),
        _outcome(lambda: copy.deepcopy(one) == one),
        _outcome(lambda: setattr(one, "a", 9)),
        _outcome(lambda: delattr(one, "b")),
        _outcome(lambda: setattr(one, "elsewhere", 9)),
        _outcome(lambda: repr(one)),  # after the assignments
    ]


@settings(max_examples=400)
@given(
    bodies=st.lists(BODY, min_size=1, max_size=2),
    values=st.lists(VALUES, min_size=10, max_size=10),
    same=st.booleans(),
)
def test_record_behaves_as_the_dataclass_it_replaces(
    bodies: list[dict[str, Any]], values: list[object], same: bool
) -> None:
    theirs_made = _outcome(lambda: _build(bodies, True))
    if theirs_made[0] == "raised":  # e.g. a frozen class over a mutable one
        assert _outcome(lambda: _build(bodies, False)) == theirs_made
        return
    ours, theirs = _build(bodies, False), _build(bodies, True)
    assert _class_facts(ours) == _class_facts(theirs)
    names = [f.name for f in dataclasses.fields(theirs) if f.init]
    first = dict(zip(names, values, strict=False))
    second = first if same else dict(zip(names, values[5:], strict=False))
    assert _instance_facts(lambda: ours(**first), lambda: ours(**second)) == _instance_facts(
        lambda: theirs(**first), lambda: theirs(**second)
    )


def test_a_record_inside_its_own_repr_shows_dots() -> None:
    reprs = []
    for decorate in (record, dataclasses.dataclass(frozen=True, slots=True)):

        class Node:
            label: str
            children: list[object]

        made: Any = decorate(Node)
        node = made("n", [])
        node.children.append(node)
        node.children.append(made("leaf", []))
        reprs.append(repr(node))
    qualname = "test_a_record_inside_its_own_repr_shows_dots.<locals>.Node"
    assert reprs[0] == reprs[1]
    assert (
        reprs[0] == f"{qualname}(label='n', children=[..., {qualname}(label='leaf', children=[])])"
    )


def test_zero_and_one_field_records_compare_and_hash_as_dataclasses() -> None:
    """No attrgetter tuple for these: the edge cases of an empty and a 1-tuple."""
    facts = []
    for decorate in (record, dataclasses.dataclass(frozen=True, slots=True)):

        class Empty:
            pass

        class One:
            value: object

        empty: Any = decorate(Empty)
        one: Any = decorate(One)
        facts.append(
            [
                empty() == empty(),
                hash(empty()),
                repr(empty()),
                one(NAN) == one(NAN),  # the same NaN object (equal inside a tuple, to 3.12)
                one(float("nan")) == one(float("nan")),
                hash(one(3)),
                one(1) == one(True),
                one(1) == (1,),
                repr(one("v")),
            ]
        )
    assert facts[0] == facts[1]
    assert facts[0][1] == hash(()) and facts[0][5] == hash((3,))
    assert facts[0][2].endswith("Empty()") and facts[0][8].endswith("One(value='v')")


def test_a_mutable_record_assigns_and_is_unhashable() -> None:
    @mutable_record
    class Box:
        items: list[int] = field(default_factory=list)
        count: int = 0

    box = Box()
    box.count += 1
    box.items.append(3)
    assert box == Box([3], 1)
    assert Box.__hash__ is None
    assert not hasattr(box, "__dict__")  # slots, as @dataclass(slots=True)


# Pickling needs classes found by name: these are module-level.
@record
class Point:
    dimensions: ClassVar[int] = 2  # not a field
    x: int
    y: int = 0
    label: str = field(default="", compare=False)


@record
class Point3(Point):
    z: tuple[int, ...] = ()


@mutable_record
class Tally:
    counts: dict[str, int] = field(default_factory=dict)


def test_records_pickle_and_copy() -> None:
    for obj in (Point(1, 2, "p"), Point3(1, z=(3,)), Tally({"a": 1})):
        # protocols 0 and 1 cannot pickle a mutable slots dataclass either
        for protocol in range(2, pickle.HIGHEST_PROTOCOL + 1):
            back = pickle.loads(pickle.dumps(obj, protocol))
            assert back == obj and repr(back) == repr(obj)
        assert copy.deepcopy(obj) == obj
    assert Point(1, 2, "a") == Point(1, 2, "b")  # label is not compared
    assert hash(Point(1, 2, "a")) == hash((1, 2))
    assert Point3(1) != Point(1)  # another class: never equal, as with dataclasses
    assert repr(Point3(1, z=(3,))) == "Point3(x=1, y=0, label='', z=(3,))"
    assert Point3.__match_args__ == ("x", "y", "label", "z")
    assert dataclasses.replace(Point3(1), y=5) == Point3(1, 5)


def test_a_frozen_record_refuses_assignment() -> None:
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'x'"):
        point.x = 2  # type: ignore[misc]  # see below
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot delete field 'y'"):
        del point.y
    with pytest.raises(TypeError):  # as a frozen slots dataclass: no such slot either
        point.other = 3  # type: ignore[attr-defined]  # see below


def test_type_checkers_see_records_as_dataclasses() -> None:
    """The ignores here are the test: ``make typecheck`` runs mypy with
    warn_unused_ignores, so it fails if mypy stops refusing these lines (if
    the decorators lost their ``dataclass_transform``). At run time,
    dataclasses does not check types."""
    tally = Tally()
    tally.counts = {"mutable": 1}  # mutable_record: assignable, no ignore needed
    assert Point("1").x == "1"  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Point(1, 2, "l", 4)  # type: ignore[call-arg]
    assert dataclasses.replace(Point(1), y="2").y == "2"  # type: ignore[arg-type]
    assert Point3(1, z=(3,)).z == (3,)


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="3.13 compiles a class in one exec")
def test_a_frozen_record_compiles_only_its_init(monkeypatch: pytest.MonkeyPatch) -> None:
    """The start-up cost this module exists for: one exec a class, not six."""
    compiled: list[str] = []
    create = dataclasses._create_fn  # type: ignore[attr-defined]

    def counting(name: str, *args: Any, **kwargs: Any) -> Any:
        compiled.append(name)
        return create(name, *args, **kwargs)

    monkeypatch.setattr(dataclasses, "_create_fn", counting)
    standard_pair = dataclasses._frozen_get_del_attr  # type: ignore[attr-defined]

    @record
    class Pair:
        left: int
        right: int = 0

    assert compiled == ["__init__"]
    assert dataclasses._frozen_get_del_attr is standard_pair  # type: ignore[attr-defined]
    with pytest.raises(dataclasses.FrozenInstanceError, match="cannot assign to field 'left'"):
        Pair(1).left = 2  # type: ignore[misc]
