"""The cgroup v2 backend of containment (see engine/containment.py).

Layout: ``<cgroup2 mount><minderd's own cgroup>/minder-<pid>-<random>-<pidns>/p:<group>:<name>``,
one leaf per process, made at its first spawn (start-up's burst: by a helper,
engine/leafmaker.py) and removed with it. minderd's own cgroup is found
as cgroupfs.writable_own_cgroup says, so this works as root on the host, in
a container with a writable cgroup, and under a systemd unit with ``Delegate=yes``.

Placement without ``preexec_fn``, and off the event loop: the child is
spawned in minderd's own cgroup and a worker thread then writes its pid
into the leaf (``adopt``). A cgroup migration takes the write side of the
kernel's ``cgroup_threadgroup_rwsem``, which waits for an RCU grace period
unless another migration happened just before: ~7-8 ms on these machines
for the first move after a quiet spell. Moving minderd itself into the
leaf and back around the spawn (the first design) paid that wait on the
event loop, before the child existed: a crashed program that had been up
for seconds came back in ~18 ms instead of ~9, and 500 spawns paid it up
to 1,000 times. In the thread the wait delays nobody. What the child
forks before its move (a shell's ``cmd &`` can) starts in minderd's cgroup:
after every move the thread sweeps that cgroup and moves each process whose
inherited environment names a placed program into that program's leaf,
and ``members``/``kill_leftovers`` first wait for the program's pending
move and count such escapees as members, so a stop in that window still
finds them. An escapee must descend from minderd (it is a subreaper, so
even an orphan does): another supervisor in the same cgroup sets the same
``SUPERVISOR_*`` names on its children, and those are never ours.

Killing: ``cgroup.kill`` (Linux 5.14+) ends every member at once; before
that, freeze, SIGKILL each member, thaw.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout

from minder.engine import proctree
from minder.engine.cgroupfs import (
    CgroupUnavailable,
    kill_cgroup,
    own_cgroup,
    populated,
    procs_of,
    read_file,
    remove_tree,
    subtree_name,
    sweep_stale,
    writable_own_cgroup,
    write_file,
)
from minder.engine.containment import program_named_by_environ, sigkill_all
from minder.engine.leafmaker import LeafMaker
from minder.engine.usage import rss_bytes

__all__ = ["CgroupContainment", "CgroupUnavailable"]

# A migration this soon after the previous one finds the kernel's rcu_sync still
# in its writer-friendly state (it returns to idle one grace period, ~7 ms here,
# after the last writer): cheap enough to do on the event loop.
BURST_SECONDS = 0.004
# A burst of at least this many spawns is placed in line from its first spawn (``burst``).
INLINE_BURST_SPAWNS = 100
MOVE_WAIT_SECONDS = 2.0  # how long a stop waits for a pending move (one grace period, normally)

SETTLE_SECONDS = 2.0  # how long close() waits for killed members to leave
SWEEP_PASSES = 8  # a fork storm in the window must not hold the mover thread forever


def _leaf_name(key: str) -> str:
    # "cgroup.x" or "<controller>.x" would clash with interface files: a
    # fixed prefix keeps any process name safe.
    return "p:" + key.replace("/", "_")


_NOT_IN_LINE = contextlib.nullcontext()


class _InLine:
    """``placing``'s context in a burst: minderd sits in the leaf while it spawns.

    A class rather than a ``@contextmanager`` generator: every spawn of a
    burst enters one, and the generator's machinery cost ~10 Python calls
    more per spawn.
    """

    __slots__ = ("_key", "_moved", "_owner")

    def __init__(self, owner: CgroupContainment, key: str) -> None:
        self._owner = owner
        self._key = key
        self._moved = False

    def __enter__(self) -> None:
        self._moved = self._owner._move_in(self._key)

    def __exit__(self, *_exc: object) -> None:
        if self._moved:  # home again, whether the spawn worked or raised
            self._owner._move_home()


class CgroupContainment:
    mode = "cgroup"

    def __init__(self, root: str, subtree: str) -> None:
        self.root = root  # minderd's own cgroup directory
        self.where = subtree
        self.subtree = subtree
        self._home_procs = os.open(os.path.join(root, "cgroup.procs"), os.O_WRONLY | os.O_CLOEXEC)
        self._me = str(os.getpid()).encode()
        self._leaves: set[str] = set()
        self.placement_failures = 0
        # Where a failed placement is told (choose() sets the main log's warn);
        # called on the event loop only.
        self.warn: Callable[[str], None] = lambda _message: None
        self.memory = self._delegate_memory()
        self._placed: set[str] = set()  # keys whose processes belong in a leaf
        self._moves: dict[str, Future[None]] = {}  # each key's latest pending move
        self._mover: ThreadPoolExecutor | None = None
        self._queued = 0  # moves submitted and not finished (under _queue_lock)
        # keys moved by the thread since the last escapee sweep (under _queue_lock),
        # each with the ticket of its latest move: only these can have escapees
        self._unswept: dict[str, int] = {}
        self._tickets = 0
        self._done_ticket = 0  # the latest move the thread finished (moves run in ticket order)
        self._sweep_job: Future[None] | None = None  # a sweep queued for exits to wait on
        self._queue_lock = threading.Lock()
        self._last_move = 0.0  # monotonic end of our latest migration (either thread)
        self._placed_inline = False  # the spawn in progress started in its leaf
        self._bursts = 0  # open ``burst`` contexts that place every spawn in line
        self._paths: dict[str, str] = {}  # key -> its leaf's path (_leaf_path)
        self._empty_batch = (0, False, 0)  # reaper pass, subtree unpopulated, leaves asked
        self._leaf_maker: LeafMaker | None = None  # start-up's leaves being made aside

    home = staticmethod(writable_own_cgroup)  # minderd's own cgroup v2 directory

    @classmethod
    def create(cls, name: str | None = None) -> CgroupContainment:
        """The backend, proved usable (``unproved`` then ``prove``)."""
        containment = cls.unproved(name)
        containment.prove()
        return containment

    @classmethod
    def unproved(cls, name: str | None = None) -> CgroupContainment:
        """The backend with its subtree made; ``prove`` says whether children can be placed."""
        root = cls.home()
        sweep_stale(root)
        # The pid alone is not unique: PID 1 of two containers sharing a cgroup.
        subtree = os.path.join(root, name or subtree_name(os.urandom(4).hex()))
        try:
            os.mkdir(subtree)
        except OSError as exc:
            raise CgroupUnavailable(f"cannot create {subtree}: {exc.strerror}") from None
        if not os.path.exists(os.path.join(subtree, "cgroup.procs")):
            with contextlib.suppress(OSError):
                os.rmdir(subtree)
            raise CgroupUnavailable(f"{subtree} is not a cgroup v2 directory")
        try:
            return cls(root, subtree)
        except OSError as exc:
            remove_tree(subtree, time.monotonic() + SETTLE_SECONDS)
            why = f"cannot move processes into {subtree}: {exc.strerror}"
            raise CgroupUnavailable(why) from None

    def prove(self) -> None:
        """Move minderd into a leaf and back: CgroupUnavailable (subtree removed) if it cannot."""
        try:
            self._probe()
        except OSError as exc:
            if self._leaf_maker is not None:
                self._leaf_maker.abandon()
            self._remove()
            why = f"cannot move processes into {self.subtree}: {exc.strerror}"
            raise CgroupUnavailable(why) from None

    def make_leaves_aside(self, keys: Iterable[str]) -> None:
        """Have a helper process make these keys' leaves meanwhile (engine/leafmaker.py)."""
        paths = [path for path in map(self._leaf_path, keys) if path not in self._leaves]
        self._leaf_maker = LeafMaker(paths)

    def _probe(self) -> None:
        """Prove that we may move processes into a leaf (delegation, permissions)."""
        leaf = self._leaf("probe")
        write_file(os.path.join(leaf, "cgroup.procs"), str(os.getpid()))
        os.write(self._home_procs, self._me)
        self.release("probe")

    def _delegate_memory(self) -> bool:
        """Enable the memory controller for the leaves where cgroup v2 has it."""
        try:
            if "memory" not in read_file(os.path.join(self.subtree, "cgroup.controllers")).split():
                return False
            write_file(os.path.join(self.subtree, "cgroup.subtree_control"), "+memory")
            return True
        except OSError:
            return False

    def _leaf(self, key: str) -> str:
        if self._leaf_maker is not None:  # start-up's helper: its leaves are made now
            self._leaves.update(self._leaf_maker.made())
            self._leaf_maker = None
        path = os.path.join(self.subtree, _leaf_name(key))
        if path not in self._leaves:
            try:
                os.mkdir(path)
            except FileExistsError:
                pass
            except FileNotFoundError:
                self._remake_subtree()  # someone removed it while it was empty
                os.mkdir(path)
            self._leaves.add(path)
        return path

    def _remake_subtree(self) -> None:
        """Make the subtree again: it was removed while it had no leaf (before
        the first spawn, or after every program had stopped). Every leaf known
        went with it."""
        os.mkdir(self.subtree)
        self._leaves.clear()
        self.memory = self._delegate_memory()

    def placing(self, key: str) -> contextlib.AbstractContextManager[None]:
        """Within a burst, move minderd itself around the spawn; else see ``adopt``.

        Right after a migration the kernel's lock is still in its writer-friendly
        state and a move costs ~0.05 ms, so during ``start all`` the child simply
        starts in its leaf (minderd moves in, spawns, moves back) and no thread is
        involved; handing 500 moves to the thread cost ~45 % more spawn time in GIL
        hand-offs. After a quiet spell a move waits for a grace period, and then
        the child is moved by the thread instead.
        """
        self._placed_inline = (
            self._bursts > 0 or time.monotonic() - self._last_move < BURST_SECONDS
        )
        return _InLine(self, key) if self._placed_inline else _NOT_IN_LINE

    @contextlib.contextmanager
    def burst(self, spawns: int) -> Iterator[None]:
        """Start-up's autostart: place every child in line, the first one too.

        ``placing`` hands the first spawn after a quiet spell to the mover
        thread, so that it does not wait for the grace period on the event
        loop; the rest of a burst then starts in line anyway. But the thread,
        once it exists, is a second task in every later migration of minderd
        (a move of minderd and back costs ~45 us of CPU and ~70 us of wall
        with one idle thread beside the main one, ~16 and ~20-40 us without:
        two per spawn), and its sweep of minderd's own cgroup after the burst's
        first moves takes the GIL from the spawning loop. For a burst of
        ``INLINE_BURST_SPAWNS`` or more, one grace period (6-15 ms measured) on
        the loop at the first spawn costs less: 500 spawns took ~30 % less of
        minderd's CPU (docs/performance.md, *fourth pass*). Every child of the
        burst also starts in its leaf, with no window to escape in.
        """
        inline = spawns >= INLINE_BURST_SPAWNS
        self._bursts += inline
        try:
            yield
        finally:
            self._bursts -= inline

    def _move_in(self, key: str) -> bool:
        """``placing`` in line: minderd into ``key``'s leaf; False if it cannot go."""
        self._placed.add(key)
        try:
            write_file(os.path.join(self._leaf(key), "cgroup.procs"), str(os.getpid()))
        except OSError:
            self._placed_inline = False  # let adopt() try from the thread instead
            self._leaves.discard(os.path.join(self.subtree, _leaf_name(key)))  # made anew there
            return False
        return True

    def _move_home(self) -> None:
        os.write(self._home_procs, self._me)
        self._last_move = time.monotonic()

    def adopt(self, key: str, pid: int) -> None:
        """Move the just-spawned ``pid`` into ``key``'s leaf from the mover thread."""
        if self._placed_inline:
            self._placed_inline = False
            return  # it started there
        try:
            leaf = self._leaf(key)  # mkdir here, on the loop: the thread only writes pids
        except OSError as exc:
            # The child runs already: an error here would orphan it outside
            # minderd. It stays uncontained instead, as when its move fails.
            self._placement_failed(key, exc)
            return
        self._placed.add(key)
        if self._mover is None:
            self._mover = ThreadPoolExecutor(1, thread_name_prefix="minder-cgroup")
        with self._queue_lock:
            self._queued += 1
            self._tickets += 1
            self._unswept[key] = self._tickets
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        self._moves[key] = self._mover.submit(self._move, leaf, pid, self._tickets, key, loop)

    def _placement_failed(self, key: str, exc: OSError) -> None:
        """Count and tell a child left outside its leaf: what it starts is not contained."""
        self.placement_failures += 1
        self.warn(
            f"containment: {key} could not be placed in its cgroup ({exc}); "
            "the processes it starts are not contained"
        )

    def _move(
        self, leaf: str, pid: int, ticket: int, key: str, loop: asyncio.AbstractEventLoop | None
    ) -> None:
        try:
            write_file(os.path.join(leaf, "cgroup.procs"), str(pid))
        except ProcessLookupError:
            pass  # it is gone already: its escapees (if any) are swept below
        except OSError as exc:  # the leaf vanished or was refused: uncontained
            if loop is None:
                self._placement_failed(key, exc)
            else:
                loop.call_soon_threadsafe(self._placement_failed, key, exc)
        self._last_move = time.monotonic()
        with self._queue_lock:
            self._done_ticket = ticket
            self._queued -= 1
            last = self._queued == 0
            swept = dict(self._unswept) if last else {}
        if not last:
            return  # a burst (start all): the burst's last move sweeps once, not N times
        self._sweep()
        with self._queue_lock:
            for key, ticket in swept.items():
                if self._unswept.get(key) == ticket:  # not moved again meanwhile
                    del self._unswept[key]

    def _sweep(self) -> None:
        """Move escapees into their leaves until a pass finds none.

        One pass is not enough: an escapee may fork between the listing and
        its own move, and that child lands where its parent was. A pass that
        finds nothing proves none is left (nothing left to fork one).
        """
        for _ in range(SWEEP_PASSES):
            found = self._escapees()
            if not found:
                return
            for stray, key in found:
                with contextlib.suppress(OSError):
                    leaf = os.path.join(self.subtree, _leaf_name(key))
                    write_file(os.path.join(leaf, "cgroup.procs"), str(stray))

    def _sweep_finished_moves(self) -> None:
        """On the mover thread: sweep, then mark every key whose move was done before it swept."""
        with self._queue_lock:
            swept = {k: t for k, t in self._unswept.items() if t <= self._done_ticket}
        self._sweep()
        with self._queue_lock:
            for key, ticket in swept.items():
                if self._unswept.get(key) == ticket:  # not moved again meanwhile
                    del self._unswept[key]

    def _swept_for(self, key: str) -> bool:
        """Have the mover thread sweep once for every exit that asks; True if ``key`` is swept.

        A stop that comes while the thread is still placing a burst (a stop all
        right after a start all on a busy machine) finds many keys unswept. Each
        exit scanning minderd's whole cgroup itself cost ~4 ms with ~90 processes
        in it, ~2 s for 500; one sweep queued behind the pending moves answers
        for every key moved before it, and the exits that come while it waits
        share it.
        """
        mover = self._mover
        if mover is None:
            return False
        with self._queue_lock:
            job = self._sweep_job
            if job is None or job.done():
                job = self._sweep_job = mover.submit(self._sweep_finished_moves)
        try:
            job.result(MOVE_WAIT_SECONDS)
        except FutureTimeout:
            return False
        with self._queue_lock:
            return key not in self._unswept

    def _escapees(self) -> list[tuple[int, str]]:
        """(pid, key) of processes in minderd's own cgroup that belong to a placed program."""
        me = os.getpid()
        found: list[tuple[int, str]] = []
        for pid in procs_of(self.root):
            # Only our own descendants: another supervisor sharing this cgroup (a test
            # running supervisord beside minderd, say) sets the same SUPERVISOR_* names.
            if pid == me or not proctree.descends_from(pid, me):
                continue
            key = program_named_by_environ(pid)
            # None: not a program's (minderctl under ExecReload, docker exec, ...)
            if key is not None and key in self._placed:
                found.append((pid, key))
        return found

    def _settled(self, key: str) -> None:
        """Wait for ``key``'s pending move, so its leaf holds what it should."""
        move = self._moves.pop(key, None)
        if move is not None and not move.done():
            with contextlib.suppress(FutureTimeout):
                move.result(MOVE_WAIT_SECONDS)

    def _leaf_path(self, key: str) -> str:
        """``key``'s leaf directory (whether or not it exists), built once per key."""
        path = self._paths.get(key)
        if path is None:
            path = self._paths[key] = os.path.join(self.subtree, _leaf_name(key))
        return path

    def _strays_of(self, key: str) -> list[int]:
        """Escapees of ``key`` still in minderd's cgroup.

        Only a child moved by the thread can have forked before its move, and
        the sweep after the move takes those; a fork cannot straddle the move
        (the kernel orders forks against migrations). So once swept, a key has
        no escapees and the scan of minderd's whole cgroup, with a parent-chain
        walk per process, is skipped: on every exit it cost ~2.5 ms, 1.2 s of
        daemon CPU for a stop of 500.
        """
        with self._queue_lock:
            if key not in self._unswept:
                return []
        if self._swept_for(key):
            return []  # its escapees, if any, are in its leaf now
        return [pid for pid, owner in self._escapees() if owner == key]

    def members(self, key: str, main_pid: int) -> list[int]:
        self._settled(key)
        strays = self._strays_of(key)  # first: a sweep may move them into the leaf
        return procs_of(self._leaf_path(key)) + strays

    def kill_leftovers(self, key: str, main_pid: int, *, batch: int = 0) -> list[int]:
        self._settled(key)
        strays = [pid for pid in self._strays_of(key) if pid != main_pid]
        killed = sigkill_all(strays)
        if batch and self._all_empty_in(batch, key):
            return killed
        leaf = self._leaf_path(key)
        left = [pid for pid in procs_of(leaf) if pid != main_pid]
        if not left:
            return killed
        return killed + [pid for pid in kill_cgroup(leaf) if pid != main_pid]

    def _all_empty_in(self, batch: int, key: str) -> bool:
        """Known empty unread: in a reaper pass of many exits, the subtree's ``populated``
        (reread every 32 while one lives) answers for all leaves. Empty stays empty: none
        can fork, ``key`` is not placed before this returns, nor a swept key's escapee."""
        seen, empty, asked = self._empty_batch
        if seen != batch or (not empty and asked >= 32):
            seen, empty, asked = batch, not populated(self.subtree), 0
        self._empty_batch = (seen, empty, asked + 1)
        if not empty:
            return False
        with self._queue_lock:
            return key not in self._unswept

    def memory_usage(self, key: str, main_pid: int) -> int | None:
        leaf = os.path.join(self.subtree, _leaf_name(key))
        try:
            return int(read_file(os.path.join(leaf, "memory.current")))
        except (OSError, ValueError):
            return rss_bytes(procs_of(leaf))

    def set_memory_max(self, key: str, limit: int | None) -> bool:
        if not self.memory:
            return False
        value = "max" if limit is None else str(limit)
        try:
            write_file(os.path.join(self._leaf(key), "memory.max"), value)
        except OSError:
            return False
        return True

    def owner_of(self, pid: int) -> str | None:
        path = own_cgroup(f"/proc/{pid}/cgroup")
        if path is None:
            return None
        leaf = os.path.basename(path)
        parent = os.path.basename(os.path.dirname(path))
        if parent != os.path.basename(self.subtree) or not leaf.startswith("p:"):
            return None
        return leaf[2:]

    def release(self, key: str) -> None:
        self._settled(key)
        self._placed.discard(key)
        leaf = self._leaf_path(key)
        self._paths.pop(key, None)
        self._leaves.discard(leaf)
        try:
            os.rmdir(leaf)
        except OSError as exc:
            if exc.errno == errno.EBUSY:  # still populated: close() will kill and retry
                self._leaves.add(leaf)

    def close(self) -> list[int]:
        if self._leaf_maker is not None:
            self._leaf_maker.abandon()
            self._leaf_maker = None
        if self._mover is not None:
            self._mover.shutdown(wait=True)
        self._moves.clear()
        killed = sigkill_all([pid for pid, _ in self._escapees()])
        for leaf in sorted(self._leaves):
            killed += procs_of(leaf)
        self._remove()
        return killed

    def _remove(self) -> None:
        """The subtree removed (what is left in it killed) and our descriptor closed."""
        remove_tree(self.subtree, time.monotonic() + SETTLE_SECONDS)
        self._leaves.clear()
        with contextlib.suppress(OSError):
            os.close(self._home_procs)
