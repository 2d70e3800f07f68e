"""Process containment: every descendant of a program belongs to that program.

supervisord only knows the pid it forked, so a ``setsid`` grandchild or a
double-forked daemon outlives ``stop`` (even with ``stopasgroup``). Here one
interface, two backends, chosen once at start-up (``choose``) and logged:

* **cgroup** (engine/cgroups.py): one cgroup v2 per process under minderd's
  own subtree. Nothing escapes a cgroup, ``cgroup.kill`` ends the whole tree
  at once, and memory can be read (and capped, where the memory controller
  is delegated to cgroup v2).
* **subreaper** (here): minderd is a child subreaper, so orphans are
  re-parented to it instead of init; a program's members are its process
  tree plus the orphans whose environment names it (``SUPERVISOR_GROUP_NAME``
  and ``SUPERVISOR_PROCESS_NAME``, inherited by everything it starts).

``off`` keeps supervisord's behaviour (only the main pid is ever signalled).
The reaper stays the one owner of exit statuses: containment only signals.
Keys are namespecs (``group:name``).
"""

from __future__ import annotations

import contextlib
import os
import signal
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Protocol

from minder.engine import proctree
from minder.engine.usage import rss_bytes
from minder.protocol.names import make_namespec

if TYPE_CHECKING:
    from minder.model.specs import RootSpec

Log = Callable[[str], None]


class Containment(Protocol):
    mode: str  # "cgroup", "subreaper" or "off"
    where: str  # the cgroup subtree, or a short description

    def placing(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Children spawned inside this context start inside ``key``'s container."""

    def burst(self, spawns: int) -> contextlib.AbstractContextManager[None]:
        """``spawns`` children are about to be spawned in one go (start-up's autostart)."""

    def adopt(self, key: str, pid: int) -> None:
        """``pid`` was just spawned for ``key``: make it (and what it forks) ``key``'s."""

    def members(self, key: str, main_pid: int) -> list[int]:
        """Every live process of ``key`` (its main pid included while it lives)."""

    def kill_leftovers(self, key: str, main_pid: int, *, batch: int = 0) -> list[int]:
        """SIGKILL every member but ``main_pid``; returns the pids signalled.

        ``batch`` (non-zero) names a pass of the reaper that found many exits
        (see Reaper.exit_batch): a backend may then tell at once, for the
        whole pass, that no program has anything left.
        """

    def memory_usage(self, key: str, main_pid: int) -> int | None:
        """Bytes of memory the program uses now (cgroup memory.current, else summed RSS)."""

    def set_memory_max(self, key: str, limit: int | None) -> bool:
        """Cap ``key``'s memory (None removes the cap); False where not possible."""

    def owner_of(self, pid: int) -> str | None:
        """The key a (possibly orphaned) process belongs to, if it can be told."""

    def release(self, key: str) -> None:
        """``key`` is gone (its process removed): free what it held."""

    def close(self) -> list[int]:
        """Shutdown: SIGKILL whatever is left and remove the containers; returns pids."""


_ENV_NAMES = (b"SUPERVISOR_GROUP_NAME", b"SUPERVISOR_PROCESS_NAME")


def program_named_by_environ(pid: int) -> str | None:
    """The namespec ``pid``'s inherited SUPERVISOR_* environment names, if any."""
    group, name = proctree.environ_value(pid, _ENV_NAMES)
    if group is None or name is None:
        return None
    group_text, name_text = group.decode(errors="replace"), name.decode(errors="replace")
    return name_text if group_text == name_text else f"{group_text}:{name_text}"


def sigkill_all(pids: list[int]) -> list[int]:
    killed: list[int] = []
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            continue
        killed.append(pid)
    return killed


class NoContainment:
    """``containment=off``: supervisord's behaviour, the main pid only."""

    mode = "off"
    where = "none (supervisord's behaviour: only the main pid is signalled)"

    def placing(self, key: str) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def burst(self, spawns: int) -> contextlib.AbstractContextManager[None]:
        return contextlib.nullcontext()

    def adopt(self, key: str, pid: int) -> None:
        return None  # the process tree (subreaper mode) needs no placement

    def members(self, key: str, main_pid: int) -> list[int]:
        return [main_pid] if main_pid and proctree.is_alive(main_pid) else []

    def kill_leftovers(self, key: str, main_pid: int, *, batch: int = 0) -> list[int]:
        return []

    def memory_usage(self, key: str, main_pid: int) -> int | None:
        return rss_bytes(self.members(key, main_pid)) if main_pid else None

    def set_memory_max(self, key: str, limit: int | None) -> bool:
        return False

    def owner_of(self, pid: int) -> str | None:
        return None

    def release(self, key: str) -> None:
        return None

    def close(self) -> list[int]:
        return []


NO_CONTAINMENT = NoContainment()


class SpawnJournal(Protocol):
    """Records each child so a daemon started after ``kill -9`` of this one finds it."""

    def use_cgroup(self, subtree: str | None) -> None: ...
    def spawned(self, namespec: str, pid: int, start: int | None = None) -> None: ...
    def exited(self, pid: int) -> None: ...


class NoJournal:
    def use_cgroup(self, subtree: str | None) -> None:
        return None

    def spawned(self, namespec: str, pid: int, start: int | None = None) -> None:
        return None

    def exited(self, pid: int) -> None:
        return None


NO_JOURNAL = NoJournal()


class SubreaperTracking(NoContainment):
    """The fallback: process-tree and environment tracking under a child subreaper.

    ``managed`` tells the main pids the reaper watches, so they are never
    taken for orphans. Orphans are only found among our own children, which
    is where the kernel re-parents them because minderd is a subreaper.
    """

    mode = "subreaper"

    def __init__(self, managed: Callable[[int], bool], why: str = "") -> None:
        self._managed = managed
        self.where = "child subreaper with process-tree tracking" + (f" ({why})" if why else "")

    def _orphans(self, tree: dict[int, list[int]]) -> list[int]:
        return [pid for pid in tree.get(os.getpid(), ()) if not self._managed(pid)]

    def _any_orphan(self) -> bool:
        """Cheap check first: most exits leave nothing behind, so skip the /proc walk."""
        me = os.getpid()
        try:
            with open(f"/proc/{me}/task/{me}/children", "rb") as f:
                children = [int(pid) for pid in f.read().split()]
        except OSError:
            return True  # no CONFIG_PROC_CHILDREN: walk /proc
        return any(not self._managed(pid) for pid in children)

    def members(self, key: str, main_pid: int) -> list[int]:
        tree = proctree.children_map()
        roots = [main_pid] if main_pid and proctree.is_alive(main_pid) else []
        roots += [pid for pid in self._orphans(tree) if self.owner_of(pid) == key]
        return roots + proctree.descendants(roots, tree)

    def kill_leftovers(self, key: str, main_pid: int, *, batch: int = 0) -> list[int]:
        if not proctree.is_alive(main_pid) and not self._any_orphan():
            return []
        return sigkill_all([pid for pid in self.members(key, main_pid) if pid != main_pid])

    def owner_of(self, pid: int) -> str | None:
        return program_named_by_environ(pid)

    def close(self) -> list[int]:
        tree = proctree.children_map()
        orphans = self._orphans(tree)
        return sigkill_all(orphans + proctree.descendants(orphans, tree))


PR_SET_CHILD_SUBREAPER = 36


def become_subreaper() -> bool:
    """Make this process a child subreaper (Linux); False where that is not possible."""
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        return bool(libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0)
    except (OSError, AttributeError):
        return False


def preview(mode: str) -> str:
    """What ``choose`` would pick here, without creating anything (``minderd --check``)."""
    if mode == "off":
        return f"containment: off: {NoContainment.where}"
    from minder.engine.cgroups import CgroupContainment, CgroupUnavailable

    try:
        if mode == "subreaper":
            raise CgroupUnavailable("containment=subreaper")
        root = CgroupContainment.home()
    except CgroupUnavailable as exc:
        return f"containment: subreaper: child subreaper with process-tree tracking ({exc})"
    return f"containment: cgroup: a cgroup v2 subtree under {root}"


def burst_keys(root: RootSpec) -> list[str]:
    """The keys of the processes start-up spawns in a leaf (autostart, killdescendants)."""
    return [
        make_namespec(group.name, process.name)
        for group in root.groups
        for process in group.processes
        if process.autostart and process.killdescendants
    ]


class PreparedCgroups:
    """Start-up's cgroup backend, made before its groups (``cgroups_prepared``).

    Holds the unproved CgroupContainment, whose burst leaves a helper makes
    meanwhile (engine/leafmaker.py), or the CgroupUnavailable saying why
    there is none; ``choose`` takes it and proves it.
    """

    def __init__(self, made: object) -> None:
        self._made = made

    def take(self) -> object:
        made, self._made = self._made, None
        return made

    def discard(self) -> None:
        """Undo what was prepared and not taken (start-up failed before ``choose``)."""
        made = self.take()
        close = getattr(made, "close", None)
        if callable(close):
            close()


@contextlib.contextmanager
def cgroups_prepared(mode: str, root: RootSpec) -> Iterator[PreparedCgroups | None]:
    """Before start-up makes its groups: the cgroup subtree, and the leaves of the
    burst (``burst_keys``) made aside meanwhile; None when ``mode`` does not want cgroups.

    What ``choose`` has not taken by the end of the block is undone (the
    helper stopped, the subtree removed).
    """
    if mode not in ("auto", "cgroup"):
        yield None
        return
    from minder.engine.cgroups import CgroupContainment, CgroupUnavailable

    try:
        backend = CgroupContainment.unproved()
    except CgroupUnavailable as exc:
        prepared = PreparedCgroups(exc)
    else:
        backend.make_leaves_aside(burst_keys(root))
        prepared = PreparedCgroups(backend)
    try:
        yield prepared
    finally:
        prepared.discard()


def choose(
    mode: str, managed: Callable[[int], bool], log: Log, warn: Log,
    prepared: PreparedCgroups | None = None,
) -> Containment:
    """The backend for ``[supervisord] containment=``; logs which one is in use.

    ``warn`` gets the cgroup backend's failed placements (a child left outside its leaf).
    ``prepared``: ``cgroups_prepared``' backend, proved here (else it is made here).
    """
    chosen: Containment
    if mode == "off":
        chosen = NoContainment()
    else:
        from minder.engine.cgroups import CgroupContainment, CgroupUnavailable

        try:
            if mode == "subreaper":
                raise CgroupUnavailable("containment=subreaper")
            made = prepared.take() if prepared is not None else None
            if isinstance(made, CgroupUnavailable):
                raise made
            if isinstance(made, CgroupContainment):
                made.prove()
                cgroup = made
            else:
                cgroup = CgroupContainment.create()
            cgroup.warn = warn
            chosen = cgroup
        except CgroupUnavailable as exc:
            if mode == "cgroup":
                log(f"containment=cgroup asked for, but {exc}; falling back")
            chosen = SubreaperTracking(managed, str(exc))
    log(f"containment: {chosen.mode}: {chosen.where}")
    return chosen
