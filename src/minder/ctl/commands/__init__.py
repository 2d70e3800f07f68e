"""Command table: command name -> module that implements ``do_<name>``.

Modules are imported only when their command runs, so ``minderctl status``
loads the status code and nothing else.
"""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from collections.abc import Callable

    from minder.ctl.session import Session

    CommandFunc = Callable[[Session, str], bool | None]

MODULES: dict[str, str] = {
    "status": "status",
    "start": "control",
    "stop": "control",
    "restart": "control",
    "signal": "control",
    "avail": "groups",
    "reread": "groups",
    "update": "groups",
    "add": "groups",
    "remove": "groups",
    "tail": "logs",
    "maintail": "logs",
    "clear": "logs",
    "fg": "fg",
    "pid": "daemon",
    "version": "daemon",
    "shutdown": "daemon",
    "reload": "daemon",
    "open": "daemon",
    "completion": "completion",
    "startup": "startup",
    "help": "helpcmd",
    "quit": "helpcmd",
    "exit": "helpcmd",
}

# minderctl's own commands, which need no daemon. ``help`` leaves them out so its
# list stays supervisorctl's word for word; ``minderctl -h`` lists them.
MINDER_ONLY = frozenset({"completion", "startup"})

# commands whose arguments are process names (for completion)
TAKES_PROCESSES = frozenset(
    {"clear", "fg", "pid", "restart", "signal", "start", "status", "stop", "tail"}
)
TAKES_GROUPS = frozenset({"add", "remove", "update"})


def lookup(name: str) -> CommandFunc | None:
    module = MODULES.get(name)
    if module is None:
        return None
    # __import__ rather than importlib.import_module: the importlib package is one more import
    loaded = __import__(f"minder.ctl.commands.{module}", fromlist=["_"])
    func: CommandFunc = getattr(loaded, f"do_{name}")
    return func
