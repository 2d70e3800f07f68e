"""The interactive shell (cmd.Cmd): prompt, readline history and completion."""

from __future__ import annotations

import cmd
import sys

from minder.ctl.commands import MODULES, TAKES_GROUPS, TAKES_PROCESSES
from minder.ctl.dispatch import run_command
from minder.ctl.session import Session

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any


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
            if command not in ("fg", "tail"):
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
