"""Turn a ProcessSpec into a running child, the way supervisord resolves it.

Why Popen and no ``preexec_fn``: Popen's own parameters (cwd, user, group,
extra_groups, umask, start_new_session, close_fds, pass_fds, restore_signals)
cover everything supervisord does between fork and exec, keep CPython's
fast vfork/posix_spawn path, and make exec failures surface in the parent
as an exception we can turn into a clear ``spawnerr``.

Command resolution mirrors supervisord (§3.3): shlex-split, then a name
without ``/`` is searched on the program's PATH (or the daemon's, or
``/bin:/usr/bin:/usr/local/bin``); the first entry that exists wins even if
it is not executable, which then fails as NOT_EXECUTABLE.
"""

from __future__ import annotations

import errno
import fcntl
import functools
import os
import pwd
import re
import shlex
import stat
import subprocess
from collections.abc import Mapping
from typing import Protocol

from minder.engine.fastspawn import spawn_plain
from minder.engine.reaper import Child
from minder.engine.rlimit_shim import with_rlimits
from minder.engine.workdir import working_directory_for
from minder.model.specs import ProcessSpec
from minder.protocol.faults import Faults
from minder.records import mutable_record

DEFAULT_PATH = "/bin:/usr/bin:/usr/local/bin"


class SpawnError(Exception):
    """The command cannot be run; ``fault`` is what startProcess raises."""

    def __init__(self, message: str, fault: Faults = Faults.SPAWN_ERROR) -> None:
        super().__init__(message)
        self.message = message
        self.fault = fault


# What shlex.split treats specially besides its four whitespace characters.
_SHLEX_SPECIAL = re.compile(r"['\"\\]")
_SHLEX_WORD = re.compile(r"[^ \t\r\n]+")


def split_command(command: str) -> list[str]:
    """``shlex.split(command)``, without shlex for a command with nothing to unquote.

    shlex costs ~0.1 ms a command (a character at a time in Python), paid
    on every spawn: 50 ms of a 500-program start. With no quote and no
    backslash, POSIX shlex (whitespace-split, no comments) yields exactly
    the runs of characters other than its whitespace, space, tab, CR, LF.
    Raises ValueError like shlex (an unclosed quote).
    """
    if _SHLEX_SPECIAL.search(command) is None:
        return _SHLEX_WORD.findall(command)
    return shlex.split(command)


@functools.lru_cache(maxsize=1024)
def _split_once(command: str) -> tuple[str, ...]:
    """A respawn splits the same command again: once per command is enough."""
    return tuple(split_command(command))


def resolve_command(command: str, env: Mapping[str, str]) -> tuple[str, list[str]]:
    """Return (executable path, argv) or raise SpawnError with supervisord's text."""
    try:
        argv = list(_split_once(command))
    except ValueError as exc:
        raise SpawnError(f"can't parse command {command!r}: {exc}", Faults.NOT_EXECUTABLE) from None
    if not argv:
        raise SpawnError("command is empty", Faults.NOT_EXECUTABLE)
    program = argv[0]
    if "/" in program:
        filename = program
        try:
            st: os.stat_result | None = os.stat(filename)
        except OSError:
            st = None
    else:
        path = env.get("PATH", DEFAULT_PATH)
        filename = program
        st = None
        for directory in path.split(os.pathsep):
            candidate = os.path.join(directory, program)
            try:
                st = os.stat(candidate)
            except OSError:
                continue
            filename = candidate
            break
    if st is None:
        raise SpawnError(f"can't find command {program!r}", Faults.NO_FILE)
    if stat.S_ISDIR(st.st_mode):
        raise SpawnError(f"command at {filename!r} is a directory", Faults.NOT_EXECUTABLE)
    if not st.st_mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH):
        raise SpawnError(f"command at {filename!r} is not executable", Faults.NOT_EXECUTABLE)
    if not os.access(filename, os.X_OK):
        raise SpawnError(f"no permission to run command {filename!r}", Faults.NOT_EXECUTABLE)
    return filename, argv


def child_environment(
    spec: ProcessSpec,
    group: str,
    *,
    base: Mapping[str, str],
    daemon_env: tuple[tuple[str, str], ...],
    server_url: str | None,
) -> dict[str, str]:
    """supervisord's merge order (§1.17): os.environ, SUPERVISOR_*, global, program."""
    env = dict(base)
    env["SUPERVISOR_ENABLED"] = "1"
    env["SUPERVISOR_PROCESS_NAME"] = spec.name
    env["SUPERVISOR_GROUP_NAME"] = group
    url = spec.serverurl or server_url
    if url:
        env["SUPERVISOR_SERVER_URL"] = url
    env.update(daemon_env)
    env.update(spec.resources.file_environment)  # minder: environment_file, then environment
    env.update(spec.environment)
    return env


@mutable_record
class Pipes:
    """Parent ends of the child's stdio (None when not a pipe)."""

    stdin: int | None
    stdout: int | None
    stderr: int | None


def _user_ids(spec: ProcessSpec) -> tuple[int | None, int | None, list[int] | None]:
    """(user, group, extra_groups) for Popen: only when we are root and a user is set.

    A ``user=`` that did not resolve to a uid is refused rather than run as
    root by accident; without root, only our own uid is possible (supervisord's
    text).
    """
    if spec.user is not None and spec.uid is None:
        raise SpawnError(f"couldn't setuid to {spec.user}: no such user; refusing to run as root")
    if spec.uid is None:
        return None, None, None
    if os.geteuid() != 0:
        if spec.uid != os.geteuid():
            raise SpawnError(f"couldn't setuid to {spec.uid}: Can't drop privilege as nonroot user")
        return None, None, None
    try:
        entry = pwd.getpwuid(spec.uid)
        gid = spec.gid if spec.gid is not None else entry.pw_gid
        groups = os.getgrouplist(entry.pw_name, gid)
    except KeyError:
        gid = spec.gid if spec.gid is not None else spec.uid
        groups = [gid]
    return spec.uid, gid, groups


PIPE_SIZE = 256 * 1024
F_SETPIPE_SZ = 1031  # fcntl.F_SETPIPE_SZ (Linux), spelled out for older Pythons


def _grow_pipe(fd: int) -> None:
    """A chatty child fills a 64 KiB pipe fast; a larger one means fewer, bigger reads.

    Only as root: without CAP_SYS_RESOURCE big pipes count against the user's
    pipe-user-pages-soft, and past it the kernel gives *new* pipes a tiny
    buffer, which would slow every later child down.
    """
    if os.geteuid() != 0:
        return
    try:  # noqa: SIM105 - suppress() is 3 Python calls, paid per pipe of every spawn
        fcntl.fcntl(fd, F_SETPIPE_SZ, PIPE_SIZE)
    except OSError:
        pass


def _errno_name(exc: OSError) -> str:
    return errno.errorcode.get(exc.errno or 0, str(exc.errno))


class Spawner(Protocol):
    """How a runner starts its child: ``spawn`` below, or a test's stand-in.

    The seam for where and how a child is placed (a cgroup, a namespace):
    a replacement wraps ``spawn`` and keeps its contract (Popen + our pipe
    ends, SpawnError with supervisord's text on failure).
    """

    def __call__(
        self,
        spec: ProcessSpec,
        env: dict[str, str],
        *,
        stdin_fd: int | None = None,
        command: tuple[str, list[str]] | None = None,
    ) -> tuple[Child, Pipes]: ...


def _popen(
    spec: ProcessSpec,
    filename: str,
    argv: list[str],
    env: dict[str, str],
    stdio: tuple[int, int, int],
    cwd: str | None,
    ids: tuple[int | None, int | None, list[int] | None],
) -> subprocess.Popen[bytes]:
    """What ``spawn_plain`` cannot do: a working directory, a umask, another user."""
    return subprocess.Popen(
        argv,
        executable=filename,
        stdin=stdio[0],
        stdout=stdio[1],
        stderr=stdio[2],
        cwd=cwd,
        env=env,
        umask=spec.umask if spec.umask is not None else -1,
        start_new_session=True,  # setsid(): its own group and session (spawn's docstring)
        close_fds=True,
        restore_signals=True,  # SIGPIPE/SIGXFSZ back to default in the child
        user=ids[0],
        group=ids[1],
        extra_groups=ids[2],
    )


def _start(
    spec: ProcessSpec,
    filename: str,
    argv: list[str],
    env: dict[str, str],
    stdio: tuple[int, int, int],
    user_ids: tuple[int | None, int | None, list[int] | None],
    popen_ids: tuple[int | None, int | None, list[int] | None],
) -> Child:
    """``posix_spawn`` where it can do all that is asked, else Popen.

    Most programs have no ``directory=``: they skip ``working_directory_for``'s
    context manager, a dozen Python calls a spawn.
    """
    if spec.directory is None:
        if spec.umask is None and popen_ids == (None, None, None):
            child = spawn_plain(filename, argv, env, stdio)
            if child is not None:
                return child
        return _popen(spec, filename, argv, env, stdio, None, popen_ids)
    # directory= is entered with the permissions of user= (engine.workdir).
    with working_directory_for(spec.directory, *user_ids) as cwd:
        return _popen(spec, filename, argv, env, stdio, cwd, popen_ids)


def spawn(
    spec: ProcessSpec,
    env: dict[str, str],
    *,
    stdin_fd: int | None = None,
    command: tuple[str, list[str]] | None = None,
) -> tuple[Child, Pipes]:
    """Start the child with stdio pipes; ``stdin_fd`` replaces the stdin pipe (fcgi).

    ``command`` is ``resolve_command``'s answer when the caller already has
    it (startProcess checks the command first), so a start resolves it once.

    The child gets its own session, where supervisord only gives it its own
    process group (setpgrp; docs/differences.md). The group is the same: the
    child leads it, terminal signals stay with us and stopasgroup reaches the
    whole group. The session is why: where the scheduler groups tasks by
    session (Linux autogroup, on by default on many servers), children in
    minderd's session shared one CPU share with it, so 20 busy children left
    the daemon a twenty-first of it, and it fell behind their output (20
    line-writing children: 112 MiB/s captured, against 198 with their own
    sessions, at the same daemon CPU). A child also no longer has the
    controlling terminal of a foreground minderd, as under systemd and s6.
    """
    filename, argv = command if command is not None else resolve_command(spec.command, env)
    user, group, extra_groups = _user_ids(spec)
    opened: list[int] = []
    try:
        if stdin_fd is None:
            in_r, in_w = os.pipe2(os.O_CLOEXEC)
            opened += [in_r, in_w]
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        opened += [out_r, out_w]
        err_r = err_w = None
        if not spec.redirect_stderr:
            err_r, err_w = os.pipe2(os.O_CLOEXEC)
            opened += [err_r, err_w]
    except OSError as exc:
        for fd in opened:
            os.close(fd)
        raise SpawnError(
            f"Too many processes in process table to spawn {spec.name!r}"
            if exc.errno == errno.EAGAIN
            else f"unknown error making dispatchers for {spec.name!r}: {_errno_name(exc)}"
        ) from None
    child_stdin = stdin_fd if stdin_fd is not None else in_r
    # rlimits: through an exec shim that drops user/group itself (rlimit_shim.py says why)
    filename, argv, popen_ids = with_rlimits(spec, filename, argv, (user, group, extra_groups))
    stdio = (child_stdin, out_w, out_w if err_w is None else err_w)  # None: redirect_stderr
    try:
        popen = _start(spec, filename, argv, env, stdio, (user, group, extra_groups), popen_ids)
    except OSError as exc:
        for fd in opened:
            os.close(fd)
        if spec.directory and exc.filename == spec.directory:
            raise SpawnError(f"couldn't chdir to {spec.directory}: {_errno_name(exc)}") from None
        raise SpawnError(f"couldn't exec {filename}: {_errno_name(exc)}") from None
    except (KeyError, ValueError, subprocess.SubprocessError) as exc:
        for fd in opened:
            os.close(fd)
        if isinstance(exc, KeyError):  # the user or group vanished since the config was read
            raise SpawnError(f"couldn't setuid to {spec.uid}: {exc}") from None
        raise SpawnError(f"couldn't spawn {spec.name!r}: {exc}") from None
    # The child has its ends now; keep only ours.
    os.close(out_w)
    if err_w is not None:
        os.close(err_w)
    stdin_parent: int | None = None
    if stdin_fd is None:
        os.close(in_r)
        stdin_parent = in_w
        os.set_blocking(in_w, False)
    for reader in (out_r, err_r):
        if reader is not None:
            os.set_blocking(reader, False)
            _grow_pipe(reader)
    return popen, Pipes(stdin_parent, out_r, err_r)
