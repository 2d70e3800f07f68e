"""minder's dataclasses, made with one compiled method a class instead of six.

Why: ``dataclasses.dataclass`` on Python 3.11 and 3.12 compiles every method
it generates with an ``exec`` of its own (~75 us each). minderd's start-up
imports ~80 dataclasses, so ~440 compilations, a third of the import's CPU
time, paid before the first program can be spawned. Only ``__init__`` needs
generated code; the other methods are one shared function each, made per
class as a closure (over a per-class ``operator.attrgetter``, C, for the
ones that read the fields): nothing to compile, the same results.

``record`` (frozen) and ``mutable_record`` still let the standard library
make the class, with ``slots=True`` and with ``repr=False, eq=False``: so
``__init__``, pickling, ``__match_args__``,
``dataclasses.fields``/``replace``/``asdict`` are the standard ones, and so
is the frozen ``__setattr__``/``__delattr__`` pair, but made without
``exec`` (see ``_frozen_pair``). Then they add what ``eq=True, repr=True``
would have added, with the same behaviour:

- ``__eq__``: only against an object of the very same class (else
  ``NotImplemented``), comparing the tuples of the ``compare=True`` fields
  in order (so identity counts, as in any tuple comparison);
- ``__hash__``: a frozen record hashes the tuple of its fields with
  ``hash=True``, or ``hash=None`` and ``compare=True``; a mutable one is
  unhashable (``__hash__ = None``);
- ``__repr__``: ``QualName(a=1, b='x')`` over the ``repr=True`` fields,
  ``...`` for a record met again inside its own repr (per thread);

and, like the standard library, none of the three replaces one the class
body defines itself. On Python 3.13 and later ``dataclasses`` compiles all
of a class's methods in one ``exec`` (and compares fields one by one), so
there the records are plain standard dataclasses.

The decorators are declared with ``typing.dataclass_transform``: mypy checks
constructors, fields and frozenness exactly as for ``@dataclass``.
"""

from __future__ import annotations

import dataclasses
import sys
from _thread import allocate_lock, get_ident
from collections.abc import Callable
from operator import attrgetter
from typing import Any, TypeVar, dataclass_transform

__all__ = ["mutable_record", "record"]


_R = TypeVar("_R")


@dataclass_transform(frozen_default=True, field_specifiers=(dataclasses.field, dataclasses.Field))
def record(cls: type[_R], /) -> type[_R]:
    """A frozen dataclass with slots, hashable over its compared fields."""
    return _make(cls, frozen=True)


@dataclass_transform(field_specifiers=(dataclasses.field, dataclasses.Field))
def mutable_record(cls: type[_R], /) -> type[_R]:
    """A dataclass with slots whose fields can be assigned; unhashable."""
    return _make(cls, frozen=False)


def _make(cls: type[_R], *, frozen: bool) -> type[_R]:
    if sys.version_info >= (3, 13):
        return dataclasses.dataclass(cls, frozen=frozen, slots=True)
    # What the class body defines itself stays, as with @dataclass. A body
    # that defines __eq__ but not __hash__ got __hash__ = None from Python:
    # that one is not the author's, and dataclasses replaces it.
    body = cls.__dict__
    own_eq = "__eq__" in body
    body_hash = body.get("__hash__", dataclasses.MISSING)
    keep = {
        "__repr__": "__repr__" in body,
        "__eq__": own_eq,
        "__hash__": not (body_hash is dataclasses.MISSING or (body_hash is None and own_eq)),
    }
    made = _standard_dataclass(cls, frozen)
    params = vars(made)["__dataclass_params__"]  # says what the class has, as @dataclass's
    params.repr = params.eq = True
    for name, method in _methods(made, frozen).items():
        if not keep[name]:
            if method is not None:
                method.__qualname__ = f"{made.__qualname__}.{name}"
            setattr(made, name, method)
    return made


# The frozen __setattr__/__delattr__ pair is ~45 % of what dataclasses still
# compiles (two execs a frozen class; only frozen=True gives the __init__ that
# bypasses them). dataclasses 3.11 and 3.12 make it in one private function,
# _frozen_get_del_attr(cls, fields, globals); while a record is made, that
# function is swapped for _frozen_pair, which returns the same two methods as
# closures. If the function is missing or takes other arguments, dataclasses
# makes the pair itself. tests/unit/test_records.py compares both on every
# Python the unit tier runs on, and notices if the swap stops happening.
_PAIR_MAKER = "_frozen_get_del_attr"
_STANDARD_PAIR = getattr(dataclasses, _PAIR_MAKER, None)
_SWAPPING = allocate_lock()  # the swap is process-wide: one record at a time


def _standard_dataclass(cls: type[_R], frozen: bool) -> type[_R]:
    """``@dataclass(slots=True, repr=False, eq=False)``, the frozen pair uncompiled."""
    if not (frozen and _pair_maker_is_known()):
        return dataclasses.dataclass(cls, frozen=frozen, slots=True, repr=False, eq=False)
    with _SWAPPING:
        setattr(dataclasses, _PAIR_MAKER, _frozen_pair)
        try:
            return dataclasses.dataclass(cls, frozen=True, slots=True, repr=False, eq=False)
        finally:
            setattr(dataclasses, _PAIR_MAKER, _STANDARD_PAIR)


def _pair_maker_is_known() -> bool:
    code = getattr(_STANDARD_PAIR, "__code__", None)
    return code is not None and code.co_varnames[: code.co_argcount] == (
        "cls",
        "fields",
        "globals",
    )


def _frozen_pair(
    cls: type[Any], fields: list[dataclasses.Field[Any]], namespace: object
) -> tuple[Callable[[object, str, object], None], Callable[[object, str], None]]:
    """What ``dataclasses._frozen_get_del_attr`` returns, without ``exec``.

    ``cls`` is the class as written (the slotted one dataclasses makes next
    is another), exactly as in the generated code.
    """
    names = frozenset(f.name for f in fields)
    frozen_error = dataclasses.FrozenInstanceError

    def __setattr__(self: object, name: str, value: object) -> None:
        if type(self) is cls or name in names:
            raise frozen_error(f"cannot assign to field {name!r}")
        super(cls, self).__setattr__(name, value)

    def __delattr__(self: object, name: str) -> None:
        if type(self) is cls or name in names:
            raise frozen_error(f"cannot delete field {name!r}")
        super(cls, self).__delattr__(name)

    return __setattr__, __delattr__


def _methods(cls: type, frozen: bool) -> dict[str, Callable[..., object] | None]:
    """What ``eq=True, repr=True`` would have given ``cls``, dataclasses made."""
    fields = dataclasses.fields(cls)
    hashed = [f.name for f in fields if (f.compare if f.hash is None else f.hash)]
    return {
        "__repr__": _repr([f.name for f in fields if f.repr]),
        "__eq__": _eq([f.name for f in fields if f.compare]),
        "__hash__": _hash(hashed) if frozen else None,
    }


def _key(names: list[str]) -> Callable[[object], tuple[object, ...]]:
    """The tuple of the named attributes, as ``(self.a, self.b,)`` gives it."""
    if len(names) >= 2:
        return attrgetter(*names)
    if names:
        one = attrgetter(names[0])
        return lambda obj: (one(obj),)
    return lambda obj: ()


def _eq(names: list[str]) -> Callable[[object, object], object]:
    key = _key(names)

    def __eq__(self: object, other: object) -> object:
        if other.__class__ is self.__class__:
            return key(self) == key(other)
        return NotImplemented

    return __eq__


def _hash(names: list[str]) -> Callable[[object], int]:
    key = _key(names)

    def __hash__(self: object) -> int:
        return hash(key(self))

    return __hash__


def _repr(names: list[str]) -> Callable[[object], str]:
    running: set[tuple[int, int]] = set()  # (id, thread) of the reprs under way

    def __repr__(self: object) -> str:
        this = (id(self), get_ident())
        if this in running:
            return "..."
        running.add(this)
        try:
            shown = ", ".join([f"{name}={getattr(self, name)!r}" for name in names])
        finally:
            running.discard(this)
        return f"{self.__class__.__qualname__}({shown})"

    return __repr__
