"""The process-info cache answers exactly what the uncached structs answer.

Every check renders the cached struct and the freshly built one through
``dump_response`` and compares the bytes, over state changes, a moving
clock, awkward text and integers past 2**31-1; and reads the reply back
with ``xmlrpc.client`` as supervisorctl would.
"""

from __future__ import annotations

import dataclasses
import xmlrpc.client
from typing import Any

import pytest

from minder.engine.api import ProcessSnapshot
from minder.model.specs import ProcessSpec
from minder.protocol.states import ProcessState
from minder.rpc.infocache import ProcessInfoCache
from minder.rpc.structs import process_info
from minder.rpc.xmlcodec import RenderedStruct, dump_response, xml_safe_value

NOW = 1_800_000_000.25


def snap(name: str = "a", group: str = "g", **changes: Any) -> ProcessSnapshot:
    spec = ProcessSpec(name=name, program_name=group, command="/bin/true")
    base = ProcessSnapshot(
        group=group,
        name=name,
        state=ProcessState.RUNNING,
        pid=4321,
        start=NOW - 3725.5,
        stop=0.0,
        now=NOW,
        exitstatus=0,
        spawnerr="",
        stdout_logfile="/var/log/a.out",
        stderr_logfile="",
        spec=spec,
        group_priority=999,
    )
    return dataclasses.replace(base, **changes)


def same_reply(cached: Any, fresh: Any) -> None:
    """Equal as Python values and byte for byte on the wire."""
    assert cached == fresh
    assert list(cached) == list(fresh)  # member order is part of the reply
    assert dump_response(cached) == dump_response(fresh)
    # Well-formed for any text (control characters arrive as U+FFFD).
    assert xmlrpc.client.loads(dump_response(cached))[0][0] == xml_safe_value(fresh)


STATES = [
    {},
    {"state": ProcessState.STARTING},
    {"state": ProcessState.STOPPING},
    {"state": ProcessState.STOPPED, "pid": 0, "stop": NOW - 60},
    {"state": ProcessState.STOPPED, "pid": 0, "start": 0.0, "stop": 0.0},
    {"state": ProcessState.EXITED, "pid": 0, "stop": NOW - 1, "exitstatus": 3},
    {"state": ProcessState.EXITED, "pid": 0, "stop": NOW - 1, "exitstatus": -1},
    {"state": ProcessState.BACKOFF, "pid": 0, "spawnerr": "can't find command 'x<&>'"},
    {"state": ProcessState.FATAL, "pid": 0, "spawnerr": "bad \x00\x1b[31m\r\n\ufffe é ✓"},
    {"state": ProcessState.FATAL, "pid": 0, "spawnerr": ""},
    {"state": ProcessState.UNKNOWN, "pid": 0},
    {"stdout_logfile": "/tmp/ünïcode & <angle>.log", "stderr_logfile": "/tmp/\r.err"},
    {"pid": 2**31 - 1, "start": 0.0},
    {"now": float(2**31), "start": float(2**31 - 10)},  # after 2038: now is an <i8>
    {"now": float(2**40), "start": float(2**40 + 5), "stop": float(2**35)},
    {"start": NOW + 5},  # a clock step back: uptime clamps at 0
    {"start": NOW - 3 * 86400 - 1},  # "3 days, 0:00:01"
]


@pytest.mark.parametrize("changes", STATES, ids=[str(i) for i in range(len(STATES))])
def test_every_state_renders_as_the_uncached_struct(changes: dict[str, Any]) -> None:
    cache = ProcessInfoCache()
    one = snap(**changes)
    same_reply(cache.info(one), process_info(one))
    same_reply(cache.info(one), process_info(one))  # the reused rendering too
    assert cache.all([one]) == [process_info(one)]


def test_the_clock_moves_now_and_uptime_only() -> None:
    cache = ProcessInfoCache()
    first = cache.info(snap())
    assert cache.info(snap(now=NOW + 0.2)) is first  # same second, same uptime
    for later in (NOW + 1, NOW + 59.9, NOW + 3600 * 30):
        moved = snap(now=later)
        same_reply(cache.info(moved), process_info(moved))
    # Same int(now) but the uptime crossed a second (start has a fraction).
    a, b = snap(now=NOW + 0.2, start=NOW - 10.3), snap(now=NOW + 0.4, start=NOW - 10.3)
    cache.info(a)
    same_reply(cache.info(b), process_info(b))
    stopped = snap(state=ProcessState.STOPPED, pid=0, stop=NOW)
    assert cache.info(stopped)["now"] == int(NOW)
    stopped_later = dataclasses.replace(stopped, now=NOW + 7)
    same_reply(cache.info(stopped_later), process_info(stopped_later))


def test_a_state_change_is_seen_at_once() -> None:
    cache = ProcessInfoCache()
    steps = [
        snap(state=ProcessState.STARTING, pid=10),
        snap(state=ProcessState.RUNNING, pid=10),
        snap(state=ProcessState.STOPPING, pid=10),
        snap(state=ProcessState.STOPPED, pid=0, stop=NOW),
        snap(state=ProcessState.STOPPED, pid=0, stop=NOW, stdout_logfile="/new"),
        snap(state=ProcessState.BACKOFF, pid=0, stop=NOW, spawnerr="e1"),
        snap(state=ProcessState.BACKOFF, pid=0, stop=NOW, spawnerr="e2"),
        snap(state=ProcessState.RUNNING, pid=11, start=NOW),
    ]
    for step in steps:  # all at the same instant: only the version tells them apart
        same_reply(cache.info(step), process_info(step))
        same_reply(cache.all([step]), [process_info(step)])


def test_all_keeps_order_and_forgets_removed_processes() -> None:
    cache = ProcessInfoCache()
    snaps = [snap(f"p{i:03d}", "grp", pid=100 + i) for i in range(50)]
    same_reply(cache.all(snaps), [process_info(s) for s in snaps])
    fewer = snaps[::2]
    same_reply(cache.all(fewer), [process_info(s) for s in fewer])
    assert len(cache._entries) == len(fewer)
    # A process of the same name in another group is another process.
    other = snap("p000", "other", pid=7)
    same_reply(cache.info(other), process_info(other))
    assert cache.info(snaps[0])["group"] == "grp"


def test_many_single_lookups_stay_bounded() -> None:
    cache = ProcessInfoCache()
    for i in range(2000):
        cache.info(snap(f"gone{i}"))
    assert len(cache._entries) <= 2 * 0 + 257


def test_results_are_plain_dicts_to_python_consumers() -> None:
    import json

    info = ProcessInfoCache().info(snap())
    assert isinstance(info, RenderedStruct) and isinstance(info, dict)
    assert json.loads(json.dumps(info)) == process_info(snap())


@pytest.mark.parametrize(
    ("uptime", "text"),
    [
        (0, "0:00:00"),
        (3725, "1:02:05"),
        (86399, "23:59:59"),
        (86400, "1 day, 0:00:00"),
        (3 * 86400 + 1, "3 days, 0:00:01"),
    ],
)
def test_running_description_is_supervisords(uptime: int, text: str) -> None:
    cache = ProcessInfoCache()
    for name in ("a", "b"):  # b: a new entry that finds the uptime text remembered
        one = snap(name, start=NOW - uptime - 0.1, pid=77)
        assert cache.info(one)["description"] == f"pid 77, uptime {text}"


def test_collections_paused_restores_the_collector() -> None:
    """On during the pause only if it was on before; back on after an error too."""
    import gc

    from minder.engine.gcpause import collections_paused

    assert gc.isenabled()
    with collections_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(KeyError), collections_paused():
        raise KeyError("x")
    assert gc.isenabled()
    gc.disable()
    try:
        with collections_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # someone else's decision stays
    finally:
        gc.enable()


def same_json(cache: ProcessInfoCache, snaps: list[ProcessSnapshot]) -> None:
    """``all_json`` reads back as the uncached structs (what the XML answer carries),
    member order included, and needs no escaping on the wire."""
    import json

    text = cache.all_json(snaps)
    fresh = [process_info(s) for s in snaps]
    decoded = json.loads(text)
    assert decoded == xml_safe_value(fresh)
    assert [list(i) for i in decoded] == [list(i) for i in fresh]
    # The pre-rendered XML is what escaping the plain text would write.
    assert dump_response(text) == dump_response(str(text))
    assert xmlrpc.client.loads(dump_response(text))[0][0] == text


@pytest.mark.parametrize("changes", STATES, ids=[str(i) for i in range(len(STATES))])
def test_every_state_renders_as_json_of_the_uncached_struct(changes: dict[str, Any]) -> None:
    cache = ProcessInfoCache()
    one = snap(**changes)
    same_json(cache, [one])
    same_json(cache, [one])  # the kept text too
    same_reply(cache.info(one), process_info(one))  # the XML of the same entry after it


def test_json_text_is_refreshed_when_a_process_changes_state_or_the_clock_moves() -> None:
    cache = ProcessInfoCache()
    steps = [
        snap(state=ProcessState.STARTING, pid=10),
        snap(state=ProcessState.RUNNING, pid=10),
        snap(state=ProcessState.RUNNING, pid=10, now=NOW + 1),  # uptime and now move
        snap(state=ProcessState.RUNNING, pid=10, now=NOW + 3600 * 30),
        snap(state=ProcessState.STOPPING, pid=10),
        snap(state=ProcessState.STOPPED, pid=0, stop=NOW),
        snap(state=ProcessState.STOPPED, pid=0, stop=NOW, now=NOW + 9),
        snap(state=ProcessState.BACKOFF, pid=0, stop=NOW, spawnerr="e1 <&>"),
        snap(state=ProcessState.BACKOFF, pid=0, stop=NOW, spawnerr="e2"),
        snap(state=ProcessState.RUNNING, pid=11, start=NOW),
    ]
    for step in steps:  # mostly the same instant: only the version tells them apart
        same_json(cache, [step])
    first = cache.all_json([steps[1]])
    assert cache.all_json([dataclasses.replace(steps[1], now=NOW + 0.1)]) == first


def test_json_keeps_order_and_forgets_removed_processes() -> None:
    cache = ProcessInfoCache()
    snaps = [snap(f"p{i:03d}", "grp", pid=100 + i) for i in range(50)]
    same_json(cache, snaps)
    fewer = snaps[1::2]
    same_json(cache, fewer)
    assert len(cache._entries) == len(fewer)
    same_reply(cache.all(fewer), [process_info(s) for s in fewer])  # both ways, one cache
    same_json(cache, fewer)
