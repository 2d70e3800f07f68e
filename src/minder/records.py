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

The one method left, ``__init__``, is compiled in advance where it can be:
see ``_exec_precompiled``.

The decorators are declared with ``typing.dataclass_transform``: mypy checks
constructors, fields and frozenness exactly as for ``@dataclass``.
"""

from __future__ import annotations

import dataclasses
import importlib
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
    """``@dataclass(slots=True, repr=False, eq=False)``: the frozen pair uncompiled,
    ``__init__`` precompiled where its text is known."""
    swaps: dict[str, object] = {}
    if frozen and _pair_maker_is_known():
        swaps[_PAIR_MAKER] = _frozen_pair
    if _CREATE_FN_EXECS:
        swaps["exec"] = _exec_precompiled  # a module global: found before the builtin
    if not swaps:
        return dataclasses.dataclass(cls, frozen=frozen, slots=True, repr=False, eq=False)
    module = vars(dataclasses)
    with _SWAPPING:
        before = {name: module.get(name, _ABSENT) for name in swaps}
        module.update(swaps)
        try:
            return dataclasses.dataclass(cls, frozen=frozen, slots=True, repr=False, eq=False)
        finally:
            for name, value in before.items():
                if value is _ABSENT:
                    del module[name]
                else:
                    module[name] = value


_ABSENT = object()


# __init__ is the one method dataclasses 3.11 and 3.12 still compile for a
# record: ~0.13 ms each, 79 before minderd's first spawn (11 ms of its ~75 ms
# of imports). Its text depends only on the class, so the same text can be
# compiled in advance, with the package: tools/gen_record_inits.py writes the
# text of every record of minder into minder/_record_inits_3XX.py, one module
# per Python version, and tests/unit/test_record_inits.py fails when it is
# out of date. dataclasses' _create_fn builds the text and calls exec(text,
# globals, ns), then ns["__create_fn__"]; while a record is made, the name
# ``exec`` in dataclasses' module is _exec_precompiled, which puts the
# function compiled from exactly that text in ns, and hands any text it does
# not have (a class changed since, another Python) to the real exec.
_STANDARD_CREATE_FN = getattr(dataclasses, "_create_fn", None)
_CREATE_FN_EXECS = sys.version_info < (3, 13) and "exec" in getattr(
    getattr(_STANDARD_CREATE_FN, "__code__", None), "co_names", ()
)
RECORDED_TEXTS: list[str] | None = None  # tools/gen_record_inits.py: every text asked for
_factories: dict[str, Callable[..., Any]] | None = None


def init_factories_module() -> str:
    """The module of precompiled ``__init__`` factories for this Python."""
    major, minor = sys.version_info[:2]
    return f"minder._record_inits_{major}{minor}"


def _precompiled() -> dict[str, Callable[..., Any]]:
    global _factories
    if _factories is None:
        try:
            found = importlib.import_module(init_factories_module()).FACTORIES
        except ImportError:
            found = {}
        _factories = found if isinstance(found, dict) else {}
    return _factories


def _exec_precompiled(
    source: object, globals_: dict[str, Any] | None = None, ns: dict[str, Any] | None = None
) -> None:
    """``exec`` as dataclasses' ``_create_fn`` calls it, answered from ``_precompiled``.

    The generated text defines one function, ``__create_fn__``, in ``ns``;
    the precompiled one was compiled from the very same text, so it is the
    same function but for its ``__globals__``, which the generated code
    never reads (the generator refuses a text that loads a global).
    """
    if isinstance(source, str) and ns is not None:
        if RECORDED_TEXTS is not None:
            RECORDED_TEXTS.append(source)
        factory = _precompiled().get(source)
        if factory is not None:
            ns["__create_fn__"] = factory
            return
    # The builtin, for what is not known, compiled as dataclasses' own exec
    # would: without this module's ``from __future__ import annotations``,
    # which an exec of a string inherits (the annotations would stay strings).
    if isinstance(source, str):
        source = compile(source, "<string>", "exec", dont_inherit=True)
    exec(source, globals_, ns)  # type: ignore[arg-type]


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
