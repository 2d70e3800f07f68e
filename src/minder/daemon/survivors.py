"""The children state file: no second copy of a program after ``kill -9 minderd``.

A SIGKILLed daemon cannot stop its children, and a new daemon on the same
config would start a second copy of each beside them (two workers on one
database). So every spawn is journalled next to the pidfile
(``<pidfile>.children``): one appended line per spawn (namespec, pid and the
kernel's start time of that pid, which together identify the process even
after pid reuse) and one per exit. At start-up, before spawning anything,
a new daemon reads the journal of its predecessor, terminates each child
still alive with the same start time (SIGTERM to its process group, SIGKILL
after a bounded wait) and logs each. What those children started in turn
goes too: the predecessor's cgroup subtree, or (subreaper fallback) every
process whose environment names one of its programs and its server URL
(``SUPERVISOR_*``, inherited by descendants; the URL is this config's own
socket, and no other daemon can own it now that the pidfile is ours).

Appending costs one small write per turn of the event loop at most: the
spawns and exits of one turn (a start burst, a stop all's reap pass) are
written together at the next turn. An exit line that a SIGKILL loses is
harmless: the successor finds that pid gone (or with another start time).
The file is rewritten with only the live entries when it has grown long
(crash loops).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import time
from collections.abc import Callable

from minder.engine import proctree
from minder.engine.cgroupfs import remove_tree
from minder.records import mutable_record, record

TERM_WAIT = 5.0  # seconds a survivor gets between SIGTERM and SIGKILL
COMPACT_AFTER = 4096  # lines appended before the file is rewritten
UNREAD_AT_MOST = 64  # spawns journaled together (their start times read in one pass)

Log = Callable[[str, str], None]  # (level, message)


def journal_path(pidfile: str) -> str:
    return f"{pidfile}.children"


@record
class Survivor:
    """A child of a killed predecessor, named by its journal line."""

    namespec: str
    pid: int
    start: int


@mutable_record
class Predecessor:
    """What the previous minderd's journal says it left running."""

    daemon_pid: int = 0
    cgroup: str | None = None
    url: str | None = None
    survivors: tuple[Survivor, ...] = ()
    programs: frozenset[str] = frozenset()


def read_journal(path: str) -> Predecessor:
    """What the previous daemon left: its pid, its cgroup subtree, its live children."""
    try:
        with open(path, "rb") as f:
            lines = f.read().splitlines()
    except OSError:
        return Predecessor()
    found = Predecessor()
    live: dict[int, Survivor] = {}
    for line in lines:
        try:
            entry = json.loads(line)
        except ValueError:
            continue  # a line torn by the kill: ignore it
        if not isinstance(entry, dict):
            continue
        if "daemon" in entry:
            found.daemon_pid = int(entry["daemon"])
            found.cgroup = entry.get("cgroup")
            found.url = entry.get("url")
        elif "spawn" in entry:
            live[int(entry["pid"])] = Survivor(str(entry["spawn"]), int(entry["pid"]),
                                               int(entry["start"]))
        elif "exit" in entry:
            live.pop(int(entry["exit"]), None)
    found.survivors = tuple(s for s in live.values() if not _gone(s.pid, s.start))
    found.programs = frozenset(s.namespec for s in live.values())
    return found


def _gone(pid: int, start: int) -> bool:
    return not proctree.is_alive(pid) or proctree.start_time(pid) != start


_ENV = (b"SUPERVISOR_GROUP_NAME", b"SUPERVISOR_PROCESS_NAME", b"SUPERVISOR_SERVER_URL")


def _namespec(group: bytes, name: bytes) -> str:
    g, n = group.decode(errors="replace"), name.decode(errors="replace")
    return n if g == n else f"{g}:{n}"


def strays_of(previous: Predecessor) -> list[Survivor]:
    """Descendants of the predecessor's programs, found by their inherited environment."""
    found: list[Survivor] = []
    mains = {s.pid for s in previous.survivors}
    for entry in os.listdir("/proc"):
        if not entry.isdigit() or int(entry) in mains or int(entry) == os.getpid():
            continue
        group, name, url = proctree.environ_value(int(entry), _ENV)
        if group is None or name is None or (url.decode() if url else None) != previous.url:
            continue
        namespec = _namespec(group, name)
        start = proctree.start_time(int(entry))
        if namespec in previous.programs and start is not None:
            found.append(Survivor(namespec, int(entry), start))
    return found


def terminate_survivors(path: str, log: Log) -> int:
    """Stop every child a dead predecessor left running; returns how many there were."""
    previous = read_journal(path)
    if previous.daemon_pid and previous.daemon_pid != os.getpid() and proctree.is_alive(
        previous.daemon_pid
    ):
        return 0  # not dead: the pidfile check refuses to start beside a live daemon
    for s in previous.survivors:
        log("warn", f"terminating '{s.namespec}' (pid {s.pid}), left running by a previous "
                    f"minderd (pid {previous.daemon_pid}), before starting its own copy")
    if previous.programs:
        # Also with a cgroup: what a program forked before containment's mover
        # placed it is still outside the predecessor's subtree when that
        # daemon is SIGKILLed inside the window; the environment finds it.
        strays = strays_of(previous)
        for s in strays:
            log("warn", f"terminating pid {s.pid}, started by '{s.namespec}' under a previous "
                        f"minderd (pid {previous.daemon_pid})")
        previous.survivors = previous.survivors + tuple(strays)
    for s in previous.survivors:  # each one, its group too: SIGTERM first, as a stop would
        for send in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                send(s.pid, signal.SIGTERM)
    deadline = time.monotonic() + TERM_WAIT
    pending = list(previous.survivors)
    while pending and time.monotonic() < deadline:
        time.sleep(0.01)  # bounded: they are not our children, so no pidfd/waitpid
        pending = [s for s in pending if not _gone(s.pid, s.start)]
    for s in pending:
        log("warn", f"'{s.namespec}' (pid {s.pid}) ignored SIGTERM for {TERM_WAIT:g}s: SIGKILL")
        for send in (os.killpg, os.kill):
            with contextlib.suppress(OSError):
                send(s.pid, signal.SIGKILL)
    if previous.cgroup and os.path.isdir(previous.cgroup):
        # Whatever else they had started (setsid, double fork) is in there.
        remove_tree(previous.cgroup, time.monotonic() + TERM_WAIT)
        log("info", f"removed the previous minderd's cgroup {previous.cgroup}")
    return len(previous.survivors)


class ChildJournal:
    """Appends spawns and exits; the engine calls ``spawned``/``exited``."""

    def __init__(self, path: str, url: str | None = None) -> None:
        self.path = path
        self._url = url  # SUPERVISOR_SERVER_URL: how a successor recognises our descendants
        self._cgroup: str | None = None
        self._live: dict[int, bytes] = {}
        self._names: dict[str, bytes] = {}
        # spawned pids whose line is written soon: (namespec, start time if known)
        self._unread: dict[int, tuple[str, int | None]] = {}
        self._exits: list[int] = []  # exited pids whose line is written at the next turn
        self._appended = 0
        self._fd = -1

    def begin(self) -> None:
        """Take the file over (after the predecessor's survivors were dealt with)."""
        self._rewrite()

    def use_cgroup(self, subtree: str | None) -> None:
        """The engine chose its containment: a successor must kill this subtree too."""
        self._cgroup = subtree
        if self._fd >= 0:
            with contextlib.suppress(OSError):
                self._rewrite()

    def _header(self) -> bytes:
        return _line({"daemon": os.getpid(), "cgroup": self._cgroup, "url": self._url})

    def _rewrite(self) -> None:
        temporary = f"{self.path}.{os.getpid()}.tmp"
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o600)
        try:
            os.write(fd, self._header() + b"".join(self._live.values()))
        finally:
            os.close(fd)
        os.replace(temporary, self.path)
        if self._fd >= 0:
            os.close(self._fd)
        self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CLOEXEC)
        self._appended = 0

    def _append(self, data: bytes, lines: int = 1) -> None:
        if self._fd < 0:
            return
        try:
            os.write(self._fd, data)
        except OSError:
            return  # a full disk must not stop a spawn; the next rewrite retries
        self._appended += lines
        if self._appended >= COMPACT_AFTER:
            with contextlib.suppress(OSError):
                self._rewrite()

    def spawned(self, namespec: str, pid: int, start: int | None = None) -> None:
        """Journal ``pid``; its line is written at the loop's next turn, not now.

        ``start``: its start time in clock ticks when the spawn could tell it
        (engine/fastspawn.start_tick_between); else it is read from /proc then.

        Reading /proc/PID/stat right after the spawn waits for the child's
        exec to finish, and the exec closes the child's copy of every
        descriptor the daemon holds: ~2 ms a spawn with 5,000 children, on
        the event loop (docs/performance.md, *Start-up and spawn*). By the
        next turn a burst (``start all``) has spawned every child and their
        execs have run on the other CPUs; all are written in one append.
        A burst spawns in one turn, so every ``UNREAD_AT_MOST`` spawns are
        written at once: a daemon SIGKILLed in the middle of starting 5,000
        programs leaves its successor at most that many it cannot name.
        """
        self._unread[pid] = (namespec, start)
        if len(self._unread) >= UNREAD_AT_MOST:
            self._read_unread()  # a long burst: a SIGKILL now must not lose all of it
            return
        if len(self._unread) > 1:
            return
        _at_next_turn(self._read_unread)

    def _read_unread(self) -> None:
        if self._exits:
            self._write_exits()  # first: a pid reused by a spawn must not lose its line
        lines = []
        for pid, (namespec, known) in self._unread.items():
            start = proctree.start_time(pid) if known is None else known
            if start is None:
                continue  # gone already
            name = self._names.get(namespec)
            if name is None:  # JSON-encoded once per program, not per spawn
                name = self._names[namespec] = json.dumps(namespec).encode()
            line = self._live[pid] = b'{"spawn":%s,"pid":%d,"start":%d}\n' % (name, pid, start)
            lines.append(line)
        self._unread.clear()
        if lines:
            self._append(b"".join(lines), len(lines))

    def exited(self, pid: int) -> None:
        """Forget ``pid``; its line goes out with the turn's other exits (one write)."""
        if self._unread.pop(pid, None) is not None or self._live.pop(pid, None) is None:
            return
        self._exits.append(pid)
        if len(self._exits) > 1:
            return
        _at_next_turn(self._write_exits)

    def _write_exits(self) -> None:
        if not self._exits:
            return
        data = b"".join([b'{"exit":%d}\n' % pid for pid in self._exits])
        count = len(self._exits)
        self._exits.clear()
        self._append(data, count)

    def close(self) -> None:
        """A clean shutdown stopped every child: nothing to hand over."""
        self._exits.clear()
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        with contextlib.suppress(OSError):
            os.unlink(self.path)


def _at_next_turn(callback: Callable[[], None]) -> None:
    """Run ``callback`` at the event loop's next turn, or now when no loop runs (a test, a tool)."""
    try:
        asyncio.get_running_loop().call_soon(callback)
    except RuntimeError:
        callback()


def _line(entry: dict[str, object]) -> bytes:
    return json.dumps(entry, separators=(",", ":")).encode() + b"\n"
