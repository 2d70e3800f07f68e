"""Pausing the cyclic garbage collector around a burst of allocations.

The one owner of the collector's policy, in the engine (standard library
only) so that every front end's stop gets the same pause from the engine's
stop verb, and the daemon's start-up, which pauses the collector while it
makes every group and spawns every autostart, imports nothing heavy for it
(the XML-RPC codec's character-class regexes alone took ~10 ms to compile,
before the first child could start).
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import asyncio

# An await with the collector paused lets it run again after this long, done or not.
MAX_AWAITED_PAUSE = 1.0


@contextmanager
def collections_paused() -> Iterator[None]:
    """No cyclic garbage collection while a whole-fleet answer is built.

    Why: building it allocates a few tracked objects per process (a snapshot,
    its vitals, a RenderedStruct) into lists that grow to the fleet's size.
    Every 700 allocations the collector ran and walked those young lists
    again, every tenth run walked the older generation, and the promotions
    brought a full collection of the daemon's whole heap every few calls:
    at 5,000 programs ~27 ms of the ~116 ms a ``getAllProcessInfo`` cost
    (measured with ``gc.callbacks``). The daemon's start-up pauses it too
    (every group made, every autostart spawned): at 5,000 programs it ran 3
    full collections and ~390 younger ones, 0.23 s of the start. Paused, the answer's objects are
    looked at once, by the first collection after it. Nothing is lost: the
    collector only runs later, and stays off if someone had turned it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@contextmanager
def collections_paused_awaiting(
    loop: asyncio.AbstractEventLoop, cap: float = MAX_AWAITED_PAUSE
) -> Iterator[None]:
    """``collections_paused`` around an await (a stop of a group or of everything),
    for at most ``cap`` seconds.

    Why: every stop allocates a few tracked objects (the machine's new state,
    its events, the caller's outcome), and inside a stop all of 500 the
    collector ran ~7 times, 4-7 ms of its ~65 ms of daemon CPU
    (``bench.stopall_phases``, gc_ms). Paused, one collection after the stop
    looks at what survived. Unlike a whole-fleet answer the await can last
    as long as a stopwaitsecs (a child that ignores SIGTERM), so a timer
    turns the collector back on after ``cap`` whatever happens. Nothing
    changes when someone else had turned it off.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    timer = loop.call_later(cap, gc.enable)
    try:
        yield
    finally:
        timer.cancel()
        gc.enable()


def freeze_survivors() -> None:
    """Collect once, then keep every object that survived out of later collections.

    Why: the start burst leaves tens of thousands of long-lived objects
    (specs, runners, their channels) that the paused collector has not
    looked at yet. Left alone, the first generation-1 collection after the
    burst walks them all, 10–17 ms at 500 programs (``gc.callbacks``), and
    lands on whatever comes next: the first stop all, or the first
    whole-fleet answer. Frozen (``gc.freeze``), no collection walks them
    again. Frozen cyclic garbage is never collected, though, so ``thaw``
    must run wherever start-up objects can die: a reload, a removed group.
    Nothing happens when someone turned the collector off.
    """
    if gc.isenabled():
        gc.collect()
        gc.freeze()


def thaw() -> None:
    """Give what ``freeze_survivors`` froze back to the collector (oldest generation)."""
    gc.unfreeze()
