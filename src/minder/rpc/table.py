"""The fixed XML-RPC method table and its dispatcher.

supervisord once resolved ``a.b.c`` by walking attributes, which let a
caller reach ``supervisor.supervisord.options...os.system`` (CVE-2017-11610).
Here every callable name is a key of one dict built at start-up; a name is
either in the dict or it is UNKNOWN_METHOD. Nothing is looked up by
attribute at call time, and names beginning with ``_`` are never exposed.

Help and signatures come from the docstrings (``@param type name``,
``@return type name``) so ``system.methodSignature`` answers exactly what
supervisord's does.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

from minder.protocol.faults import Faults, SupervisorFault
from minder.records import record

RpcCallable = Callable[..., Awaitable[Any]]

_TAG = re.compile(r"@(param|return)\s+(\w+)")


def _anything(value: Any) -> bool:
    return True


# What each documented parameter type accepts. Strings are checked by the
# methods themselves (a signal may come as a number; stdin data as bytes).
_PARAM_CHECKS: dict[str, Callable[[Any], bool]] = {
    "int": lambda v: isinstance(v, int),
    "boolean": lambda v: isinstance(v, int),
    "array": lambda v: isinstance(v, list | tuple),
    "struct": lambda v: isinstance(v, dict),
}


@record
class RpcMethod:
    """One public method: its wire name, coroutine, help and signature."""

    name: str
    func: RpcCallable
    help: str
    signature: tuple[str, ...]  # (return type, param types...) or () if undocumented
    binder: inspect.Signature


def parse_signature(doc: str) -> tuple[str, ...]:
    """``(return type, param types...)`` from ``@param``/``@return`` tags."""
    params: list[str] = []
    returns: str | None = None
    for kind, type_ in _TAG.findall(doc):
        if kind == "param":
            params.append(type_)
        else:
            returns = type_
    if returns is None:
        return ()
    return (returns, *params)


def make_method(name: str, func: RpcCallable) -> RpcMethod:
    doc = func.__doc__ or ""
    return RpcMethod(name, func, doc, parse_signature(doc), inspect.signature(func))


def public_methods(namespace: str, owner: object) -> dict[str, RpcMethod]:
    """Every public coroutine method of ``owner`` as ``namespace.name``."""
    table: dict[str, RpcMethod] = {}
    for attr in dir(type(owner)):
        if attr.startswith("_"):
            continue
        func = getattr(owner, attr)
        if inspect.iscoroutinefunction(func):
            table[f"{namespace}.{attr}"] = make_method(f"{namespace}.{attr}", func)
    return table


class RpcTable:
    """Name → method, and the checks every call goes through."""

    def __init__(self, methods: Iterable[RpcMethod]) -> None:
        self._methods: dict[str, RpcMethod] = {m.name: m for m in methods}
        self._guards: list[Callable[[str], None]] = []

    @property
    def methods(self) -> Mapping[str, RpcMethod]:
        return self._methods

    def add(self, methods: Iterable[RpcMethod]) -> None:
        for method in methods:
            self._methods[method.name] = method

    def add_guard(self, guard: Callable[[str], None]) -> None:
        """A check run before every call (e.g. SHUTDOWN_STATE); it raises a fault."""
        self._guards.append(guard)

    def lookup(self, name: str) -> RpcMethod:
        if name.startswith("_") or "._" in name:
            raise SupervisorFault(Faults.UNKNOWN_METHOD)
        method = self._methods.get(name)
        if method is None:
            raise SupervisorFault(Faults.UNKNOWN_METHOD)
        return method

    async def call(self, name: str, params: tuple[Any, ...] | list[Any]) -> Any:
        """Run one call; faults come out as SupervisorFault."""
        method = self.lookup(name)
        try:
            method.binder.bind(*params)
        except TypeError:
            raise SupervisorFault(Faults.INCORRECT_PARAMETERS) from None
        for expected, param in zip(method.signature[1:], params, strict=False):
            if not _PARAM_CHECKS.get(expected, _anything)(param):
                raise SupervisorFault(
                    Faults.INCORRECT_PARAMETERS, f"{expected} expected, got {type(param).__name__}"
                )
        for guard in self._guards:
            guard(name)
        return await method.func(*params)
