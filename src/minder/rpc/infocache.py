"""Process-info structs, re-rendered only where they changed.

``getAllProcessInfo`` is what ``supervisorctl status`` and the web UI call,
often and for every process. Building 500 dicts of 14 fields and escaping
and marshalling 7,000 members on each call was most of minderd's own time
for that reply. Yet between two calls almost nothing changes: name, state,
pid, times, exit status, spawn error and log paths move only when the
process changes state; only ``now`` (and, for a RUNNING process, the uptime
in ``description``) move with the clock.

So each process keeps an entry holding, for one *version* of its snapshot
(the tuple of every snapshot field the struct is built from, compared on
each call: the engine hands out snapshots, not a change counter):

* the struct's fixed items and the rendered XML of its fixed members;
* the last full struct with its XML (a ``RenderedStruct``), reused as long
  as ``int(now)`` and the uptime are the same, so calls within one second
  cost a tuple comparison per process.

In a new second, the ``now`` member is rendered once for all processes and
each uptime text once for all processes that share it (those started
together), so a 500-process reply costs ~1.2 ms instead of ~4 ms uncached.

The values come from ``structs`` (``process_info``, and for RUNNING the
same ``uptime_of``/``uptime_text``/``running_description`` that ``describe``
uses), so the reply means exactly what the uncached one did; the unit tests
compare both, byte for byte, through ``dump_response``.
"""

from __future__ import annotations

from typing import Any, cast

from minder.engine.api import ProcessSnapshot
from minder.protocol.results import ProcessInfo
from minder.protocol.states import ProcessState
from minder.rpc.infojson import info_head, info_middle, json_string
from minder.rpc.structs import (
    process_info,
    readiness_suffix,
    running_description,
    uptime_of,
    uptime_text,
)
from minder.rpc.xmlcodec import (
    STRUCT_CLOSE_BYTES,
    STRUCT_OPEN_BYTES,
    RenderedString,
    RenderedStruct,
    clean_string,
    string_member,
    struct_members,
)

# Members before ``now`` and between ``now`` and ``description``, in the
# order ``process_info`` (and supervisord) lists them.
_BEFORE_NOW = ("name", "group", "start", "stop")
_MIDDLE = (
    "state",
    "statename",
    "spawnerr",
    "exitstatus",
    "logfile",
    "stdout_logfile",
    "stderr_logfile",
    "pid",
)

Version = tuple[ProcessState, int, float, float, int, str, str, str, float, str, str]


def version_of(snap: ProcessSnapshot) -> Version:
    """Every snapshot field the info struct depends on, except ``now``."""
    return (
        snap.state,
        snap.pid,
        snap.start,
        snap.stop,
        snap.exitstatus,
        snap.spawnerr,
        snap.stdout_logfile,
        snap.stderr_logfile,
        snap.next_start,
        # minder: the description's readiness and depends_on texts
        readiness_suffix(snap),
        snap.vitals.waiting if snap.vitals is not None else "",
    )


def _description_tail(description: str) -> bytes:
    return string_member("description", description) + STRUCT_CLOSE_BYTES


def _json_description_tail(description: str) -> str:
    return f',"description":{json_string(description)}}}'


class _Clock:
    """What moves with the clock, rendered once for every process: the ``now``
    member (once per second) and the uptime texts (processes started
    together share them)."""

    __slots__ = ("now", "now_xml", "uptimes")

    def __init__(self) -> None:
        self.now = -1
        self.now_xml = b""
        self.uptimes: dict[int, str] = {}

    def now_member(self, now: int) -> bytes:
        if now != self.now:
            self.now_xml = struct_members({"now": now})  # an <i8> from 2038 on
            self.now = now
        return self.now_xml

    def uptime(self, seconds: int) -> str:
        text = self.uptimes.get(seconds)
        if text is None:
            if len(self.uptimes) >= 4096:
                self.uptimes.clear()
            text = self.uptimes[seconds] = uptime_text(seconds)
        return text


class _JsonText:
    """One process's JSON object at one version: its fixed text and last rendering."""

    __slots__ = ("head", "last", "middle", "moment", "tail")

    def __init__(self, info: dict[str, Any], running: bool) -> None:
        self.head = info_head(info)
        self.middle = info_middle(info)
        self.tail = "" if running else _json_description_tail(info["description"])
        self.last = ""
        self.moment: tuple[int, int] = (-1, -1)


class _Entry:
    """One process at one version: its fixed parts and its last renderings.

    The XML parts are made on the first ``render`` and the JSON ones on the
    first ``render_json``: a daemon asked only one way renders only that.
    """

    __slots__ = (
        "clock", "head", "items", "json", "last", "middle", "running", "suffix", "tail", "version",
    )

    def __init__(self, snap: ProcessSnapshot, version: Version) -> None:
        self.version = version
        self.items = cast(dict[str, Any], process_info(snap))
        self.running = snap.state == ProcessState.RUNNING
        self.suffix = version[9]  # readiness, after the uptime
        self.head = b""  # XML, until ``last`` is set
        self.middle = b""
        self.tail = b""
        self.last: RenderedStruct | None = None
        self.clock: tuple[int, int] = (-1, -1)  # (int(now), uptime) of ``last``
        self.json: _JsonText | None = None

    def _moment(self, snap: ProcessSnapshot) -> tuple[int, int]:
        return int(snap.now), uptime_of(snap) if self.running else 0

    def _description(self, snap: ProcessSnapshot, clock: _Clock, uptime: int) -> str:
        """The RUNNING description at ``uptime``; the fixed one otherwise."""
        if self.running:
            return running_description(snap.pid, clock.uptime(uptime)) + self.suffix
        description: str = self.items["description"]
        return description

    def render(self, snap: ProcessSnapshot, clock: _Clock) -> RenderedStruct:
        moment = self._moment(snap)
        last = self.last
        if last is not None and moment == self.clock:
            return last
        if last is None:
            info = self.items
            self.head = STRUCT_OPEN_BYTES + struct_members({k: info[k] for k in _BEFORE_NOW})
            self.middle = struct_members({k: info[k] for k in _MIDDLE})
            # Outside RUNNING the description depends on the version only.
            self.tail = b"" if self.running else _description_tail(info["description"])
        now, uptime = moment
        description = self._description(snap, clock, uptime)
        tail = _description_tail(description) if self.running else self.tail
        xml = b"".join((self.head, clock.now_member(now), self.middle, tail))
        rendered = RenderedStruct(self.items, xml)
        rendered["now"] = now
        rendered["description"] = description
        self.last = rendered
        self.clock = moment
        return rendered

    def render_json(self, snap: ProcessSnapshot, clock: _Clock) -> str:
        """The struct as a JSON object's text (``rpc/infojson.py``'s rules)."""
        moment = self._moment(snap)
        text = self.json
        if text is None:
            text = self.json = _JsonText(self.items, self.running)
        elif moment == text.moment:
            return text.last
        now, uptime = moment
        tail = (
            _json_description_tail(self._description(snap, clock, uptime))
            if self.running
            else text.tail
        )
        text.last = f"{text.head}{now}{text.middle}{tail}"
        text.moment = moment
        return text.last


class ProcessInfoCache:
    """``process_info`` for XML-RPC, keeping each process's rendering between calls."""

    def __init__(self) -> None:
        self._entries: dict[tuple[str, str], _Entry] = {}
        self._seen_all = 0  # processes in the last getAllProcessInfo
        self._clock = _Clock()

    @staticmethod
    def _current(snap: ProcessSnapshot, entry: _Entry | None) -> _Entry:
        version = version_of(snap)
        if entry is None or entry.version != version:
            entry = _Entry(snap, version)
        return entry

    def _render(self, snap: ProcessSnapshot, entry: _Entry | None) -> tuple[_Entry, Any]:
        entry = self._current(snap, entry)
        return entry, entry.render(snap, self._clock)

    def info(self, snap: ProcessSnapshot) -> ProcessInfo:
        """One process's struct (``getProcessInfo``)."""
        key = (snap.group, snap.name)
        entry, info = self._render(snap, self._entries.get(key))
        if key not in self._entries and len(self._entries) > 2 * self._seen_all + 256:
            # Names asked for one by one and since removed: forget them all.
            self._entries.clear()
        self._entries[key] = entry
        return cast(ProcessInfo, info)

    def all(self, snaps: list[ProcessSnapshot]) -> list[ProcessInfo]:
        """Every process's struct (``getAllProcessInfo``); forgets removed processes."""
        old = self._entries
        entries: dict[tuple[str, str], _Entry] = {}
        out: list[ProcessInfo] = []
        for snap in snaps:
            key = (snap.group, snap.name)
            entry, info = self._render(snap, old.get(key))
            entries[key] = entry
            out.append(info)
        self._entries = entries
        self._seen_all = len(entries)
        return out

    def all_json(self, snaps: list[ProcessSnapshot]) -> RenderedString:
        """``all``'s array as one JSON text (``minder.getAllProcessInfoJSON``).

        The same structs with the same values; each process's object is kept
        like its XML, and the text needs no escaping in the XML answer.
        """
        old = self._entries
        entries: dict[tuple[str, str], _Entry] = {}
        out: list[str] = []
        clock = self._clock
        for snap in snaps:
            key = (snap.group, snap.name)
            entry = entries[key] = self._current(snap, old.get(key))
            out.append(entry.render_json(snap, clock))
        self._entries = entries
        self._seen_all = len(entries)
        return clean_string("[" + ",".join(out) + "]")
