"""Help for every command: the same topics as supervisorctl, in minderctl's words."""

from __future__ import annotations

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from minder.ctl.session import Session

TOPICS: dict[str, str] = {
    "add": "add <gname> [...]\tStart managing a group that reread reported as available",
    "avail": "avail [--json]\t\tList every configured process: in use or not, auto or\n"
    "\t\t\tmanual start, and group:process priorities",
    "clear": "clear <name>\t\tEmpty the log files of a process\n"
    "clear <name> <name>\tEmpty the log files of several processes\n"
    "clear all\t\tEmpty the log files of every process",
    "exit": "exit\tLeave the minderctl shell.",
    "fg": "fg <process>\tAttach to a running process: see its output, type its input\n"
    "\t\tCtrl-C detaches (the process keeps running)",
    "maintail": "maintail -f \tFollow the daemon's main log (Ctrl-C to stop)\n"
    "maintail -100\tShow the last 100 *bytes* of the daemon's main log\n"
    "maintail\tShow the last 1600 *bytes* of the daemon's main log\n",
    "open": "open <url>\tSwitch to another daemon and show its status\n"
    "\t\t(http://host:port, or unix:///path/to/socket)",
    "pid": "pid\t\t\tShow the daemon's own PID.\n"
    "pid <name>\t\tShow the PID of one process (0 if it is not running).\n"
    "pid all\t\t\tShow the PID of every process, one per line.",
    "quit": "quit\tLeave the minderctl shell.",
    "reload": "reload \t\tRestart the daemon in place: stop everything, re-read the\n"
    "\t\tconfig, start the autostart programs again.",
    "remove": "remove <gname> [...]\tStop managing a group (its processes must be stopped)",
    "reread": "reread \t\t\tRe-read the config files and report what changed,\n"
    "\t\t\twithout starting or stopping anything",
    "restart": "restart <name>\t\tStop, then start, a process\n"
    "restart <gname>:*\tRestart every process of a group\n"
    "restart <name> <name>\tRestart several processes or groups\n"
    "restart all\t\tRestart every process\n"
    "restart --rolling [--batch N] <gname>:*\tOne (or N) at a time, each ready before the\n"
    "\t\t\tnext; stops at the first failure (minderd only)\n"
    "Note: restart uses the config already loaded; see reread and update to change it.",
    "shutdown": "shutdown \tStop every process and then the daemon itself.",
    "signal": "signal <signal name> <name>\t\tSend a signal to a process\n"
    "signal <signal name> <gname>:*\t\tSend a signal to every process of a group\n"
    "signal <signal name> <name> <name>\tSend a signal to several processes or groups\n"
    "signal <signal name> all\t\tSend a signal to every process\n"
    "(names like HUP or SIGHUP, or numbers)",
    "start": "start <name>\t\tStart a process\n"
    "start <gname>:*\t\tStart every process of a group\n"
    "start <name> <name>\tStart several processes or groups\n"
    "start all\t\tStart every process",
    "status": "status <name>\t\tShow the state of one process\n"
    "status <gname>:*\tShow the state of every process of a group\n"
    "status <name> <name>\tShow the state of several processes\n"
    "status\t\t\tShow the state of every process\n"
    "status --json\t\tThe same as JSON (see docs/differences.md)\n"
    "Exit status: 0 all running, 3 some not running, 4 unknown name or no daemon",
    "stop": "stop <name>\t\tStop a process\n"
    "stop <gname>:*\t\tStop every process of a group\n"
    "stop <name> <name>\tStop several processes or groups\n"
    "stop all\t\tStop every process",
    "tail": "tail [-f] <name> [stdout|stderr] (default stdout)\n"
    "Ex:\n"
    "tail -f <name>\t\tFollow the output of a process (Ctrl-C to stop)\n"
    "tail -f <name> <gname>:*\tFollow several processes at once, each line\n"
    "\t\t\tprefixed with its process name\n"
    "tail -f all\t\tFollow every process at once, the same way\n"
    "tail -100 <name>\tShow the last 100 *bytes* of a process's stdout\n"
    "tail <name> stderr\tShow the last 1600 *bytes* of its stderr",
    "update": "update\t\t\tRe-read the config, then add, remove and restart the\n"
    "\t\t\tgroups that changed (and only those)\n"
    "update all\t\tThe same as update\n"
    "update <gname> [...]\tApply the changes to these groups only",
    "version": "version\t\t\tShow the version of the daemon",
    "completion": "completion bash|zsh\t\tPrint the completion script for the shell\n"
    "completion install [bash|zsh]\tInstall it for the current user (the shell\n"
    "\t\t\t\tof $SHELL by default)",
    "startup": "startup systemd\tPrint a systemd unit for minderd on this config\n"
    "\t\t(-c FILE); reloads with 'minderctl update', KillMode=mixed,\n"
    "\t\tDelegate=yes. Redirect it to /etc/systemd/system/minderd.service",
    "help": "help\t\tList the commands\nhelp <command>\tExplain a command",
    "EOF": "To leave, type ^D or the quit command",
}


# One line per command: ``minderctl -h``, the zsh completion's descriptions and
# the man page all read this table, so they list the same commands.
SUMMARIES: dict[str, str] = {
    "add": "start managing a group that reread reported as available",
    "avail": "list every configured process and whether it is in use",
    "clear": "empty the log files of processes",
    "completion": "print or install the bash/zsh completion script",
    "exit": "leave the shell",
    "fg": "attach to a running process's input and output",
    "help": "list the commands, or explain one",
    "maintail": "show or follow the daemon's main log",
    "open": "switch to another daemon",
    "pid": "show the daemon's or processes' PIDs",
    "quit": "leave the shell",
    "reload": "restart the daemon in place with the config re-read",
    "remove": "stop managing a group",
    "reread": "re-read the config and report what changed",
    "restart": "stop, then start, processes",
    "shutdown": "stop every process and the daemon",
    "signal": "send a signal to processes",
    "start": "start processes",
    "startup": "print a systemd unit that runs minderd on this config",
    "status": "show the state of processes (one table for several -s servers)",
    "stop": "stop processes",
    "tail": "show or follow a process's output (several names or all with -f)",
    "update": "apply config changes: restart only the programs that changed",
    "version": "show the daemon's version",
}


def commands_text() -> str:
    """The ``Commands:`` block of ``minderctl -h``."""
    width = max(len(name) for name in SUMMARIES) + 2
    lines = ["Commands:"]
    lines += [f"  {name.ljust(width)}{SUMMARIES[name]}" for name in sorted(SUMMARIES)]
    return "\n".join(lines) + "\n"


def show_help(s: Session, topic: str) -> None:
    s.output(TOPICS[topic])
