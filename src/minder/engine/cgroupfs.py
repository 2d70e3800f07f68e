"""The cgroup v2 file system as containment uses it: find it, read, kill, remove.

Why a module of its own: these are plain operations on cgroup directories
(no state), shared by the placement backend (engine/cgroups.py), the daemon's
clean-up of a killed predecessor (daemon/survivors.py) and the tests; the
backend keeps only its bookkeeping of leaves and moves.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time


def cgroup2_mount(mountinfo: str = "/proc/self/mountinfo") -> tuple[str, str] | None:
    """(mount point, root within the hierarchy) of the cgroup2 mount, if any."""
    try:
        with open(mountinfo) as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        left, sep, right = line.partition(" - ")
        if not sep or not right.startswith("cgroup2 "):
            continue
        fields = left.split()
        return _unescape(fields[4]), _unescape(fields[3])
    return None


def _unescape(text: str) -> str:
    """mountinfo escapes space, tab, newline and backslash as octal."""
    return text.encode().decode("unicode_escape") if "\\" in text else text


class CgroupUnavailable(Exception):
    """Why the cgroup backend cannot be used here (the message is logged)."""


def writable_own_cgroup() -> str:
    """This process's own cgroup v2 directory, or CgroupUnavailable saying why not.

    The mount is found in /proc/self/mountinfo (hybrid hosts mount cgroup2
    beside the v1 controllers) and the cgroup in /proc/self/cgroup.
    """
    found = cgroup2_mount()
    if found is None:
        raise CgroupUnavailable("no cgroup2 mount in /proc/self/mountinfo")
    mount, mount_root = found
    own = own_cgroup()
    if own is None:
        raise CgroupUnavailable("no cgroup v2 line in /proc/self/cgroup")
    relative = own if mount_root == "/" else own.removeprefix(mount_root)
    root = os.path.normpath(mount + "/" + relative.lstrip("/"))
    if not os.access(root, os.W_OK):
        raise CgroupUnavailable(f"{root} is not writable (run as root, or Delegate=yes)")
    return root


def own_cgroup(path: str = "/proc/self/cgroup") -> str | None:
    """This process's cgroup v2 path (the ``0::`` line)."""
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("0::"):
                    return line[3:].strip()
    except OSError:
        return None
    return None


def write_file(path: str, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CLOEXEC)
    try:
        os.write(fd, text.encode())
    finally:
        os.close(fd)


def read_file(path: str) -> str:
    with open(path) as f:
        return f.read()


def procs_of(directory: str) -> list[int]:
    """The pids in ``directory`` (none if it is gone).

    Read with bare ``os`` calls: every exit reads its program's leaf, and a
    text-mode ``open`` costs twice the kernel's work in Python objects.
    """
    try:
        fd = os.open(directory + "/cgroup.procs", os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return []
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
    except OSError:
        return []
    finally:
        os.close(fd)
    try:
        return [int(pid) for pid in b"".join(chunks).split()]
    except ValueError:
        return []


def populated(directory: str) -> bool:
    try:
        for line in read_file(os.path.join(directory, "cgroup.events")).splitlines():
            if line.startswith("populated "):
                return line.split()[1] == "1"
    except OSError:
        return False
    return False


def kill_cgroup(directory: str) -> list[int]:
    """SIGKILL every member of ``directory``; returns the pids that were in it."""
    pids = procs_of(directory)
    if not pids:
        return []
    kill_file = os.path.join(directory, "cgroup.kill")
    try:
        write_file(kill_file, "1")
        return pids
    except OSError:
        pass
    freeze = os.path.join(directory, "cgroup.freeze")
    with contextlib.suppress(OSError):
        write_file(freeze, "1")  # nothing can fork while frozen
    pids = procs_of(directory)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    with contextlib.suppress(OSError):
        write_file(freeze, "0")  # SIGKILL is delivered on thaw
    return pids


def remove_tree(directory: str, deadline: float) -> bool:
    """Kill and rmdir ``directory`` and its children, deepest first; True if all gone."""
    if not os.path.isdir(directory):
        return True
    ok = True
    for entry in os.scandir(directory):
        if entry.is_dir(follow_symlinks=False):
            ok = remove_tree(entry.path, deadline) and ok
    kill_cgroup(directory)
    while populated(directory) and time.monotonic() < deadline:
        time.sleep(0.005)  # bounded: members SIGKILLed a moment ago are leaving
    try:
        os.rmdir(directory)
    except FileNotFoundError:
        pass
    except OSError:
        return False
    return ok


# The initial PID namespace's inode number, fixed by the kernel (PROC_PID_INIT_INO).
INITIAL_PID_NAMESPACE = 0xEFFFFFFC


def pid_namespace() -> int:
    """The inode of this process's PID namespace (0 where /proc cannot tell)."""
    try:
        return os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return 0


def subtree_name(random: str) -> str:
    """``minder-<pid>-<random>-<PID namespace>``: the pid means something only in that namespace."""
    return f"minder-{os.getpid()}-{random}-{pid_namespace()}"


def sweep_stale(root: str) -> list[str]:
    """Remove empty ``minder-<pid>-*`` subtrees whose daemon is gone (it was SIGKILLed).

    Only empty ones: a populated subtree still holds a dead daemon's children,
    which its successor on the same config ends (daemon/survivors.py). And
    only when the pid in the name is dead here, so a live daemon's momentarily
    empty subtree is never taken from it. "Here" is this PID namespace: a
    minderd in another one (a container's PID 1 sharing our cgroup) cannot see
    our pid, and took a starting daemon's still empty subtree for a dead one's,
    whose first spawn then failed. A name says the namespace it was made in;
    one without (made before names said it) is only judged from the initial
    namespace, where such daemons ran.
    """
    removed: list[str] = []
    try:
        entries = list(os.scandir(root))
    except OSError:
        return removed
    here = pid_namespace()
    for entry in entries:
        parts = entry.name.split("-")
        if len(parts) not in (3, 4) or parts[0] != "minder" or not parts[1].isdigit():
            continue
        made_in = int(parts[3]) if len(parts) == 4 and parts[3].isdigit() else None
        if (made_in if made_in is not None else INITIAL_PID_NAMESPACE) != here:
            continue  # its pid is not one of ours to look up
        if os.path.exists(f"/proc/{parts[1]}") or populated(entry.path):
            continue
        if remove_tree(entry.path, time.monotonic()):
            removed.append(entry.path)
    return removed
