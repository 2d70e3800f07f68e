"""Run one command line and turn its unexpected failures into one readable line.

This is the single place where a missing socket, a refused connection, a
401, or a fault the command did not expect becomes a message and an exit
status instead of a traceback. One-shot runs import only this module, not
the interactive shell (``cmd`` pulls in ``string`` and ``re``).
"""

from __future__ import annotations

from minder.ctl.commands import lookup
from minder.ctl.session import Exit, Session

SHUTDOWN_STATE = 6  # protocol.faults.Faults.SHUTDOWN_STATE, without importing enum


def _ask_credentials(s: Session) -> bool:
    import getpass

    try:
        s.options.username = input("Username:")
        s.options.password = getpass.getpass(prompt="Password:")
    except (EOFError, KeyboardInterrupt):
        return False
    s.output("")
    s.reconnect()
    return True


def run_command(s: Session, line: str, *, shell: bool = False) -> bool:
    """Run one command line; True when the shell should end."""
    from minder.ctl.transport import AuthRequired, HttpError
    from minder.ctl.wire import RpcFault, WireError

    line = line.strip()
    if line.startswith("?"):  # cmd.Cmd's shorthand, which supervisorctl keeps
        line = "help " + line[1:]
    name, _, arg = line.partition(" ")
    if not name:
        return False
    func = lookup(name)
    if func is None:
        s.output(f"*** Unknown syntax: {line.strip()}")
        s.exitstatus = Exit.GENERIC
        return False
    try:
        return bool(func(s, arg.strip()))
    except AuthRequired:
        s.output("Server requires authentication")
        if shell and _ask_credentials(s):
            return run_command(s, line, shell=shell)
        if not shell:
            s.output(f"(check the username and password for {s.options.serverurl})")
        s.exitstatus = Exit.GENERIC
    except RpcFault as fault:
        if fault.code == SHUTDOWN_STATE:
            s.output(f"error: {s.options.serverurl} is shutting down or restarting")
        else:
            s.output(f"error: the daemon refused {name}: {fault.text} (fault {fault.code})")
        s.exitstatus = Exit.GENERIC
    except HttpError as exc:
        s.output(f"error: {s.options.serverurl} answered HTTP {exc.status} {exc.reason}")
        s.exitstatus = Exit.GENERIC
    except WireError as exc:
        s.output(f"error: {s.options.serverurl}: {exc}")
        s.exitstatus = Exit.GENERIC
    except OSError as exc:
        message, _ = s.describe_connection_error(exc)
        s.output(message)
        s.exitstatus = Exit.GENERIC
    finally:
        s.out.flush()
    return False
