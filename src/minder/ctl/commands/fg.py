"""``fg name``: attach to a running process; its output streams here, typed lines go to its stdin.
"""

from __future__ import annotations

import threading

from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session
from minder.ctl.transport import Connection
from minder.ctl.wire import RpcFault
from minder.protocol.faults import Faults


def _pump(s: Session, connection: Connection, path: str, lock: threading.Lock) -> None:
    try:
        for chunk in connection.stream(path):
            with lock:
                s.out.write(chunk.decode("utf-8", "replace"))
                s.out.flush()
    except Exception:  # the stream dies with the process or when we close it
        pass


def do_fg(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    names = arg.split()
    if not names:
        s.output("ERROR: no process name supplied")
        s.exitstatus = Exit.GENERIC
        show_help(s, "fg")
        return
    if len(names) > 1:
        s.output("ERROR: too many process names supplied")
        s.exitstatus = Exit.GENERIC
        return
    name = names[0]
    try:
        info = s.call("supervisor.getProcessInfo", name)
    except RpcFault as fault:
        if fault.code == Faults.BAD_NAME:
            s.output("ERROR: bad process name supplied")
            s.exitstatus = Exit.GENERIC
        else:
            s.output(f"ERROR: {fault.text}")
        return
    if info["statename"] != "RUNNING":
        s.output("ERROR: process not running")
        s.exitstatus = Exit.GENERIC
        return
    s.output("==> Press Ctrl-C to exit <==")
    s.out.flush()
    lock = threading.Lock()
    o = s.options
    connections = [Connection(o.serverurl, o.username, o.password) for _ in range(2)]
    for connection, channel in zip(connections, ("stdout", "stderr"), strict=True):
        threading.Thread(
            target=_pump, args=(s, connection, f"/logtail/{name}/{channel}", lock), daemon=True
        ).start()
    try:
        while True:
            line = input() + "\n"
            try:
                s.call("supervisor.sendProcessStdin", name, line)
            except RpcFault as fault:
                if fault.code == Faults.NOT_RUNNING:
                    s.output("Process got killed")
                else:
                    s.output(f"ERROR: {fault.text}")
                s.output("Exiting foreground")
                return
            if s.call("supervisor.getProcessInfo", name)["statename"] != "RUNNING":
                s.output("Process got killed")
                s.output("Exiting foreground")
                return
    except (KeyboardInterrupt, EOFError):
        s.output("Exiting foreground")
    finally:
        for connection in connections:
            connection.close()
