"""Per-program rlimits (``rlimit_nofile=…``), applied between fork and exec.

Why an exec shim and neither ``preexec_fn`` nor ``prlimit`` after spawn:
``preexec_fn`` runs Python in a forked copy of a daemon with threads and
open loops (unsafe, and it disables CPython's vfork/posix_spawn path);
``prlimit(2)`` on the new pid from the parent races the child, which may
have read its limits, opened files or forked workers (that keep the old
limits) before the parent gets to it. The shim is the program's first
image: Popen runs ``python -I -S -c SHIM`` (tens of milliseconds, paid only
by programs that set limits), which sets every limit while it is still
root — so a hard limit can be raised above the daemon's — then drops to
the program's user and group, and execs the real command. It imports
nothing outside the standard library's ``os`` and ``resource``.

A limit that cannot be set, or a failed exec, is written to stderr (the
program's log) and ends the shim with 127, which the engine sees as a
process that exited too quickly.
"""

from __future__ import annotations

import json
import sys

from minder.model.specs import ProcessSpec

SHIM = """\
import json, os, resource, sys
spec = json.loads(sys.argv[1])
for name, soft, hard in spec["limits"]:
    which = getattr(resource, "RLIMIT_" + name)
    inf = resource.RLIM_INFINITY
    try:
        resource.setrlimit(which, (inf if soft < 0 else soft, inf if hard < 0 else hard))
    except (ValueError, OSError) as exc:
        sys.stderr.write("minder: cannot set rlimit_%s=%s:%s: %s\\n"
                         % (name.lower(), soft, hard, exc))
        os._exit(127)
try:
    if spec["gid"] is not None:
        os.setgroups(spec["groups"])
        os.setgid(spec["gid"])
    if spec["uid"] is not None:
        os.setuid(spec["uid"])
    os.execve(spec["file"], spec["argv"], os.environ)
except OSError as exc:
    sys.stderr.write("minder: couldn't exec %s: %s\\n" % (spec["file"], exc))
    os._exit(127)
"""


def shim_argv(spec: ProcessSpec, filename: str, argv: list[str], uid: int | None,
              gid: int | None, groups: list[int] | None) -> list[str]:
    """The command line that sets ``spec``'s rlimits, drops privileges, then runs argv."""
    payload = {
        "limits": [list(limit) for limit in spec.resources.rlimits],
        "file": filename,
        "argv": argv,
        "uid": uid,
        "gid": gid,
        "groups": groups or [],
    }
    return [sys.executable, "-I", "-S", "-c", SHIM, json.dumps(payload)]


Ids = tuple[int | None, int | None, list[int] | None]  # Popen's user, group, extra_groups


def with_rlimits(
    spec: ProcessSpec, filename: str, argv: list[str], ids: Ids
) -> tuple[str, list[str], Ids]:
    """(executable, argv, ids for Popen): unchanged without rlimits, else the shim,
    which is given the ids to drop to and is itself started without them."""
    if not spec.resources.rlimits:
        return filename, argv, ids
    shim = shim_argv(spec, filename, argv, *ids)
    return shim[0], shim, (None, None, None)
