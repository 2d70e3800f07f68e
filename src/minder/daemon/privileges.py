"""Switching to ``user=`` at start, and the warning when running as root without one.

supervisord switches before it creates its log, sockets and AUTO files, so
they belong to the target user; the caller keeps that order. Supplementary
groups are set with initgroups, so the daemon gets exactly the groups the
user would have at login — not root's.
"""

from __future__ import annotations

import os
import pwd

ROOT_WITHOUT_USER = (
    "Supervisor is running as root.  Privileges were not dropped because no user is "
    "specified in the config file.  If you intend to run as root, you can set user=root "
    "in the config file to avoid this message."
)


class PrivilegeError(Exception):
    """The switch was impossible; printed as ``Error: <message>`` with exit 2."""


def root_warning(user: str | None) -> str | None:
    """The CRIT line supervisord logs when root runs it without ``user=``."""
    if os.geteuid() == 0 and user is None:
        return ROOT_WITHOUT_USER
    return None


def drop_privileges(uid: int, gid: int | None = None) -> str | None:
    """Become ``uid`` (primary group ``gid``, else the user's own).

    Returns the INFO line to log after a switch, or None when we already run
    as ``uid``. Raises PrivilegeError when not root, or when a call fails.
    """
    if os.getuid() == uid and os.geteuid() == uid:
        return None
    if os.geteuid() != 0:
        raise PrivilegeError("Can't drop privilege as nonroot user")
    try:
        entry: pwd.struct_passwd | None = pwd.getpwuid(uid)
    except KeyError:
        entry = None
    target_gid = gid if gid is not None else (entry.pw_gid if entry else None)
    if target_gid is None:
        raise PrivilegeError(f"Could not find a group for uid {uid}; set a user with a group")
    try:
        if entry is not None:
            os.initgroups(entry.pw_name, target_gid)
        else:
            os.setgroups([target_gid])
        os.setgid(target_gid)
        os.setuid(uid)
    except OSError as exc:
        raise PrivilegeError(f"Could not switch to uid {uid}: {exc.strerror}") from exc
    return f"Set uid to user {uid} succeeded"
