"""``result_handler``: what a listener's RESULT body means.

The default accepts exactly ``OK`` and rejects everything else (the event
goes back into the pool's buffer). A configured ``module:callable`` is
imported and called as ``handler(event, body)``; raising an exception whose
class is named ``RejectEvent`` (ours, or ``supervisor.dispatchers``') rejects
the event, any other exception counts as a protocol error.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from minder.protocol.events import RESULT_OK

DEFAULT_RESULT_HANDLER = "supervisor.dispatchers:default_handler"

ResultHandler = Callable[[Any, bytes], object]


class RejectEvent(Exception):  # supervisord's name, kept for compatibility
    """Raised by a result handler to send the event back to the buffer."""


def default_handler(event: object, response: bytes) -> None:
    if response != RESULT_OK:
        raise RejectEvent(response)


def is_rejection(exc: BaseException) -> bool:
    return any(cls.__name__ == "RejectEvent" for cls in type(exc).__mro__)


def load_result_handler(entry_point: str) -> ResultHandler:
    """Resolve ``module:callable`` (the supervisord default maps to ours)."""
    if entry_point.strip() in (DEFAULT_RESULT_HANDLER, f"{__name__}:default_handler"):
        return default_handler
    module_name, sep, attr_path = entry_point.partition(":")
    if not sep or not module_name or not attr_path:
        raise ValueError(f"result_handler {entry_point!r} is not of the form module:callable")
    target: Any = importlib.import_module(module_name.strip())
    for attr in attr_path.strip().split("."):
        target = getattr(target, attr)
    if not callable(target):
        raise ValueError(f"result_handler {entry_point!r} is not callable")
    handler: ResultHandler = target
    return handler
