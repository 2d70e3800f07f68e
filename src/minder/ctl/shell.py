"""Running commands: one from argv, or an interactive shell (cmd.Cmd).

``run_command`` is the single place where a command's unexpected failures
become one readable line and an exit status, instead of a traceback: a
missing socket, a refused connection, a 401, a fault the command did not
expect.
"""

from __future__ import annotations

import cmd
import sys
from typing import Any

from minder.ctl.commands import MODULES, TAKES_GROUPS, TAKES_PROCESSES, lookup
from minder.ctl.session import Exit, Session


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

    name, _, arg = line.strip().partition(" ")
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


class Shell(cmd.Cmd):
    """The interactive ``supervisor> `` prompt."""

    def __init__(self, session: Session) -> None:
        super().__init__()
        self.session = session
        self.prompt = session.options.prompt + "> "
        self._names_cache: list[dict[str, Any]] | None = None

    def emptyline(self) -> bool:
        return False  # a blank line must not repeat the last command

    def onecmd(self, line: str) -> bool:
        self._names_cache = None
        if line == "EOF":
            self.session.output("")
            return True
        return run_command(self.session, line, shell=True)

    # -- completion -------------------------------------------------------
    def completenames(self, text: str, *ignored: Any) -> list[str]:
        return [f"{name} " for name in sorted(MODULES) if name.startswith(text)]

    def _infos(self) -> list[dict[str, Any]]:
        if self._names_cache is None:
            try:
                self._names_cache = self.session.call("supervisor.getAllProcessInfo")
            except Exception:
                self._names_cache = []
        return self._names_cache or []

    def completedefault(self, text: str, line: str, begidx: int, endidx: int) -> list[str]:
        command = line.split()[0] if line.split() else ""
        if command == "help":
            return self.completenames(text)
        if command in TAKES_GROUPS:
            groups = dict.fromkeys(info["group"] for info in self._infos())
            return [f"{g} " for g in groups if g.startswith(text)]
        if command in TAKES_PROCESSES:
            candidates: list[str] = []
            for info in self._infos():
                group, name = info["group"], info["name"]
                if ":" in text or group != name:
                    candidates.append(f"{group}:{name}")
                    if f"{group}:*" not in candidates:
                        candidates.append(f"{group}:*")
                else:
                    candidates.append(name)
            if command == "status" or command == "pid" or command == "start" or command == "stop":
                candidates.append("all")
            return [f"{c} " for c in candidates if c.startswith(text)]
        return []

    def complete(self, text: str, state: int) -> str | None:  # type: ignore[override]
        import readline

        line = readline.get_line_buffer()
        begidx = readline.get_begidx()
        if not line[:begidx].strip():
            matches = self.completenames(text)
        else:
            matches = self.completedefault(text, line, begidx, readline.get_endidx())
        return matches[state] if state < len(matches) else None


def _setup_readline(history_file: str | None) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - readline is part of CPython on Linux
        return
    delims = readline.get_completer_delims()
    for char in ":*-":
        delims = delims.replace(char, "")
    readline.set_completer_delims(delims)
    if history_file:
        import atexit
        import contextlib

        with contextlib.suppress(OSError):
            readline.read_history_file(history_file)

        def save() -> None:
            with contextlib.suppress(OSError):
                readline.write_history_file(history_file)

        atexit.register(save)


def interact(s: Session) -> int:
    """The shell: ``status`` first, then commands until quit/EOF/Ctrl-C; always exit 0."""
    _setup_readline(s.options.history_file)
    shell = Shell(s)
    shell.cmdqueue.append("status")
    try:
        shell.cmdloop()
    except KeyboardInterrupt:
        s.output("")
    sys.stdout.flush()
    return 0
