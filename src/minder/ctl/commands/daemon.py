"""Commands about the daemon itself: ``pid``, ``version``, ``shutdown``, ``reload``, ``open``."""

from __future__ import annotations

import errno

from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session
from minder.ctl.wire import RpcFault
from minder.protocol.faults import Faults


def do_pid(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    names = arg.split()
    if not names:
        s.output(str(s.call("supervisor.getPID")))
        return
    if "all" in names:
        for info in s.call("supervisor.getAllProcessInfo"):
            s.output(str(info["pid"]))
        return
    for name in names:
        try:
            info = s.call("supervisor.getProcessInfo", name)
        except RpcFault as fault:
            s.exitstatus = Exit.GENERIC
            if fault.code != Faults.BAD_NAME:
                raise
            s.output(f"No such process {name}")
            continue
        s.output(str(info["pid"]))
        if info["pid"] == 0:
            s.exitstatus = Exit.NOT_RUNNING


def do_version(s: Session, arg: str) -> None:
    if arg.strip():
        s.output("Error: version accepts no arguments")
        s.exitstatus = Exit.GENERIC
        show_help(s, "version")
        return
    if not s.upcheck():
        return
    s.output(str(s.call("supervisor.getSupervisorVersion")))


def _confirm(s: Session, question: str) -> bool:
    if not s.options.interactive:
        return True
    try:
        answer = input(question)
    except EOFError:
        return False
    return answer.lower().startswith("y")


def do_shutdown(s: Session, arg: str) -> None:
    if arg.strip():
        s.output("Error: shutdown accepts no arguments")
        s.exitstatus = Exit.GENERIC
        show_help(s, "shutdown")
        return
    if not _confirm(s, "Really shut the remote supervisord process down y/N? "):
        return
    try:
        s.call("supervisor.shutdown")
    except RpcFault as fault:
        if fault.code != Faults.SHUTDOWN_STATE:
            s.exitstatus = Exit.GENERIC
            raise
        s.output("ERROR: already shutting down")
    except OSError as exc:
        s.exitstatus = Exit.GENERIC
        if exc.errno == errno.ECONNREFUSED:
            s.output(f"ERROR: {s.options.serverurl} refused connection (already shut down?)")
        elif exc.errno == errno.ENOENT:
            s.output(f"ERROR: {s.options.serverurl} no such file (already shut down?)")
        else:
            raise
    else:
        s.output("Shut down")


def do_reload(s: Session, arg: str) -> None:
    if arg.strip():
        s.output("Error: reload accepts no arguments")
        s.exitstatus = Exit.GENERIC
        show_help(s, "reload")
        return
    if not _confirm(s, "Really restart the remote supervisord process y/N? "):
        return
    try:
        s.call("supervisor.restart")
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code != Faults.SHUTDOWN_STATE:
            raise
        s.output("ERROR: already shutting down")
    else:
        s.output("Restarted supervisord")


def do_open(s: Session, arg: str) -> None:
    url = arg.strip()
    if not url.startswith(("unix://", "http://")):
        s.output("ERROR: url must be http:// or unix://")
        s.exitstatus = Exit.GENERIC
        return
    s.options.serverurl = url
    s.reconnect()
    from minder.ctl.commands.status import do_status

    before = s.exitstatus
    do_status(s, "")
    s.exitstatus = before
