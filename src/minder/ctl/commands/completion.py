"""``completion bash|zsh`` prints the script; ``completion install [bash|zsh]`` installs it."""

from __future__ import annotations

import os

from minder.ctl.completion import SHELLS, install, script
from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session


def _default_shell() -> str:
    login = os.path.basename(os.environ.get("SHELL", ""))
    return login if login in SHELLS else "bash"


def do_completion(s: Session, arg: str) -> None:
    words = arg.split()
    if words[:1] == ["install"] and len(words) <= 2:
        shell = words[1] if len(words) == 2 else _default_shell()
        if shell not in SHELLS:
            s.output(f"Error: no completion for {shell!r}; choose one of {', '.join(SHELLS)}")
            s.exitstatus = Exit.INVALID_ARGS
            return
        try:
            path, hint = install(shell, os.environ)
        except OSError as exc:
            s.output(f"Error: cannot write the {shell} completion: {exc}")
            s.exitstatus = Exit.GENERIC
            return
        s.output(f"installed the {shell} completion for minderctl in {path}")
        s.output(hint)
        return
    if len(words) != 1 or words[0] not in SHELLS:
        s.output("Error: completion needs bash, zsh or install")
        s.exitstatus = Exit.INVALID_ARGS
        show_help(s, "completion")
        return
    s.out.write(script(words[0]))
