"""Config-level commands: ``avail``, ``reread``, ``add``, ``remove``, ``update``.

Like supervisorctl these skip the version upcheck; ``update`` applies a
reread group by group in the order the daemon reports. A changed group goes
through ``minder.updateProcessGroup`` when the daemon has it (minderd: only
the processes whose settings changed restart) and through supervisorctl's
stop, remove, add otherwise (upstream supervisord). The output is the same
either way, so scripts written for supervisorctl see no difference.
"""

from __future__ import annotations

from minder.ctl.helptext import show_help
from minder.ctl.render import avail_json, avail_line, changes_lines
from minder.ctl.session import Exit, Session
from minder.ctl.wire import RpcFault
from minder.protocol.faults import Faults


def _no_args(s: Session, name: str, arg: str) -> bool:
    if arg.strip():
        s.output(f"Error: {name} accepts no arguments")
        s.exitstatus = Exit.GENERIC
        show_help(s, name)
        return False
    return True


def do_avail(s: Session, arg: str) -> None:
    words = arg.split()
    as_json = "--json" in words
    if not _no_args(s, "avail", " ".join(w for w in words if w != "--json")):
        return
    try:
        infos = s.call("supervisor.getAllConfigInfo")
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code != Faults.SHUTDOWN_STATE:
            raise
        s.output("ERROR: supervisor shutting down")
        return
    if as_json:
        import json

        s.output(json.dumps(avail_json(infos), indent=2))
        return
    for info in infos:
        s.output(avail_line(info))


def do_reread(s: Session, arg: str) -> None:
    if not _no_args(s, "reread", arg):
        return
    try:
        result = s.call("supervisor.reloadConfig")
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code == Faults.SHUTDOWN_STATE:
            s.output("ERROR: supervisor shutting down")
        elif fault.code == Faults.CANT_REREAD:
            s.output(f"ERROR: {fault.text}")
        else:
            raise
        return
    added, changed, removed = result[0]
    for line in changes_lines(added, changed, removed):
        s.output(line)


def do_add(s: Session, arg: str) -> None:
    for name in arg.split():
        try:
            s.call("supervisor.addProcessGroup", name)
        except RpcFault as fault:
            if fault.code == Faults.SHUTDOWN_STATE:
                s.output("ERROR: shutting down")
                s.exitstatus = Exit.GENERIC
            elif fault.code == Faults.ALREADY_ADDED:
                s.output("ERROR: process group already active")
            elif fault.code == Faults.BAD_NAME:
                s.output(f"ERROR: no such process/group: {name}")
                s.exitstatus = Exit.GENERIC
            else:
                s.exitstatus = Exit.GENERIC
                raise
        else:
            s.output(f"{name}: added process group")


def do_remove(s: Session, arg: str) -> None:
    for name in arg.split():
        try:
            s.call("supervisor.removeProcessGroup", name)
        except RpcFault as fault:
            s.exitstatus = Exit.GENERIC
            if fault.code == Faults.STILL_RUNNING:
                s.output(f"ERROR: process/group still running: {name}")
            elif fault.code == Faults.BAD_NAME:
                s.output(f"ERROR: no such process/group: {name}")
            else:
                raise
        else:
            s.output(f"{name}: removed process group")


def do_update(s: Session, arg: str) -> None:
    try:
        result = s.call("supervisor.reloadConfig")
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code == Faults.SHUTDOWN_STATE:
            s.output("ERROR: already shutting down")
            return
        if fault.code == Faults.CANT_REREAD:
            s.output(f"ERROR: {fault.text}")
            return
        raise
    added, changed, removed = result[0]
    wanted = set(arg.split())
    if "all" in wanted:
        wanted = set()
    if wanted:
        known = {info["group"] for info in s.call("supervisor.getAllProcessInfo")}
        known.update(added)
        for name in sorted(wanted - known):
            s.output(f"ERROR: no such group: {name}")
            s.exitstatus = Exit.GENERIC

    def selected(name: str) -> bool:
        return not wanted or name in wanted

    for name in filter(selected, removed):
        results = s.call("supervisor.stopProcessGroup", name)
        s.output(f"{name}: stopped")
        if any(r["status"] == Faults.FAILED for r in results):
            s.output(f"{name}: has problems; not removing")
            s.exitstatus = Exit.GENERIC
            continue
        s.call("supervisor.removeProcessGroup", name)
        s.output(f"{name}: removed process group")
    for name in filter(selected, changed):
        try:
            in_place = _update_in_place(s, name)
        except RpcFault as fault:
            if fault.code != Faults.FAILED:
                raise
            # update_strategy=rolling stopped at a failure: say so, go on with the rest
            s.output(f"{name}: ERROR ({fault.text.removeprefix('FAILED: ')})")
            s.exitstatus = Exit.GENERIC
            continue
        if in_place:
            s.output(f"{name}: stopped")
        else:
            s.call("supervisor.stopProcessGroup", name)
            s.output(f"{name}: stopped")
            s.call("supervisor.removeProcessGroup", name)
            s.call("supervisor.addProcessGroup", name)
        s.output(f"{name}: updated process group")
    for name in filter(selected, added):
        s.call("supervisor.addProcessGroup", name)
        s.output(f"{name}: added process group")


def _update_in_place(s: Session, name: str) -> bool:
    """minderd's gentler update of one changed group; False if the daemon lacks it.

    Whether it does is learnt once per session, from the first call: upstream
    supervisord answers UNKNOWN_METHOD for the ``minder`` namespace.
    """
    if s.in_place_update is False:
        return False
    try:
        s.call("minder.updateProcessGroup", name)
    except RpcFault as fault:
        if fault.code != Faults.UNKNOWN_METHOD:
            raise
        s.in_place_update = False
        return False
    s.in_place_update = True
    return True
