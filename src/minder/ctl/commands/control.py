"""``start``, ``stop``, ``restart`` and ``signal`` of names, ``group:*`` or ``all``.

Result lines and exit codes follow supervisorctl: an already-started start
or a not-running stop is reported but still exits 0; spawn errors exit 7.
"""

from __future__ import annotations

from minder.ctl.helptext import show_help
from minder.ctl.session import Exit, Session
from minder.ctl.wire import RpcFault
from minder.protocol.faults import Faults
from minder.protocol.names import make_namespec, split_namespec

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from collections.abc import Mapping
    from typing import Any

_START_ERRORS = {
    Faults.BAD_NAME: "no such process",
    Faults.NO_FILE: "no such file",
    Faults.NOT_EXECUTABLE: "file is not executable",
    Faults.ALREADY_STARTED: "already started",
    Faults.SPAWN_ERROR: "spawn error",
    Faults.ABNORMAL_TERMINATION: "abnormal termination",
}
_SIGNAL_ERRORS = {
    Faults.BAD_NAME: "no such process",
    Faults.BAD_SIGNAL: "bad signal name",
    Faults.NOT_RUNNING: "not running",
}


def start_result_line(result: Mapping[str, Any]) -> str:
    name = make_namespec(result["group"], result["name"])
    code = result["status"]
    if code == Faults.SUCCESS:
        return f"{name}: started"
    if code in _START_ERRORS:
        return f"{name}: ERROR ({_START_ERRORS[code]})"
    return f"{name}: ERROR ({result.get('description') or code})"


def signal_result_line(result: Mapping[str, Any], success: str = "signalled") -> str:
    name = make_namespec(result["group"], result["name"])
    code = result["status"]
    if code == Faults.SUCCESS:
        return f"{name}: {success}"
    if code in _SIGNAL_ERRORS:
        return f"{name}: ERROR ({_SIGNAL_ERRORS[code]})"
    return str(result.get("description") or f"{name}: ERROR ({code})")


def _fault_result(fault: RpcFault, name: str) -> dict[str, Any]:
    group, process = split_namespec(name)
    return {"status": fault.code, "group": group, "name": process, "description": fault.text}


def _run_each(
    s: Session,
    names: list[str],
    *,
    all_method: str,
    group_method: str,
    one_method: str,
    extra: tuple[object, ...],
    line: Any,
    ignored: int | None,
    bad_group_exit: int,
) -> None:
    """Shared loop of start/stop/signal: ``all``, ``group:*`` and single names."""

    def report(results: list[dict[str, Any]]) -> None:
        for result in results:
            s.output(line(result))
            s.set_exit_from_fault(result["status"], ignored)

    if "all" in names:
        report(s.call(all_method, *extra))
        return
    for name in names:
        group, process = split_namespec(name)
        if process is None:
            try:
                report(s.call(group_method, group, *extra))
            except RpcFault as fault:
                if fault.code != Faults.BAD_NAME:
                    s.exitstatus = Exit.GENERIC
                    raise
                s.output(f"{group}: ERROR (no such group)")
                s.exitstatus = bad_group_exit
            continue
        try:
            s.call(one_method, name, *extra)
        except RpcFault as fault:
            report([_fault_result(fault, name)])
        else:
            ok = {"status": Faults.SUCCESS, "group": group, "name": process, "description": "OK"}
            report([ok])


def do_start(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    names = arg.split()
    if not names:
        s.output("Error: start requires a process name")
        s.exitstatus = Exit.INVALID_ARGS
        show_help(s, "start")
        return
    _run_each(s, names, all_method="supervisor.startAllProcesses",
              group_method="supervisor.startProcessGroup", one_method="supervisor.startProcess",
              extra=(), line=start_result_line, ignored=Faults.ALREADY_STARTED,
              bad_group_exit=Exit.INVALID_ARGS)


def _stop_line(result: Mapping[str, Any]) -> str:
    return signal_result_line(result, "stopped")


def do_stop(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    names = arg.split()
    if not names:
        s.output("Error: stop requires a process name")
        s.exitstatus = Exit.GENERIC
        show_help(s, "stop")
        return
    _run_each(s, names, all_method="supervisor.stopAllProcesses",
              group_method="supervisor.stopProcessGroup", one_method="supervisor.stopProcess",
              extra=(), line=_stop_line, ignored=Faults.NOT_RUNNING,
              bad_group_exit=Exit.GENERIC)


def _rolling_args(words: list[str]) -> tuple[list[str], int] | str:
    """(names, batch) from ``--rolling [--batch N] NAME...``, or an error line."""
    names: list[str] = []
    batch = 1
    rest = iter(words)
    for word in rest:
        if word == "--rolling":
            continue
        if word == "--batch" or word.startswith("--batch="):
            text = word.partition("=")[2] if "=" in word else next(rest, "")
            if not text.isdigit() or int(text) < 1:
                return "Error: --batch needs a whole number of at least 1"
            batch = int(text)
        elif word.startswith("--"):
            return f"Error: unknown option {word}"
        else:
            names.append(word)
    if not names or "all" in names:
        return "Error: restart --rolling requires process names or group:* (not all)"
    return names, batch


def do_rolling_restart(s: Session, words: list[str]) -> None:
    """minder's ``restart --rolling [--batch N] NAME|GROUP:*...`` (minderd only)."""
    parsed = _rolling_args(words)
    if isinstance(parsed, str):
        s.output(parsed)
        s.exitstatus = Exit.INVALID_ARGS
        return
    names, batch = parsed
    try:
        steps = s.call("minder.rollingRestart", names, batch)
    except RpcFault as fault:
        s.exitstatus = Exit.GENERIC
        if fault.code == Faults.UNKNOWN_METHOD:
            s.output("Error: this daemon cannot do a rolling restart (it is not minderd)")
            return
        s.output(f"Error: {fault.text}")
        return
    for step in steps:
        name = make_namespec(step["group"], step["name"])
        if step["outcome"] == "restarted":
            s.output(f"{name}: restarted ({step['detail']})")
        elif step["outcome"] == "failed":
            s.output(f"{name}: ERROR ({step['detail']})")
            s.exitstatus = Exit.GENERIC
        else:
            s.output(f"{name}: not restarted ({step['detail']})")


def do_restart(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    if "--rolling" in arg.split():
        do_rolling_restart(s, arg.split())
        return
    if not arg.split():
        s.output("Error: restart requires a process name")
        s.exitstatus = Exit.GENERIC
        show_help(s, "restart")
        return
    do_stop(s, arg)
    do_start(s, arg)


def do_signal(s: Session, arg: str) -> None:
    if not s.upcheck():
        return
    words = arg.split()
    if len(words) < 2:
        s.output("Error: signal requires a signal name and a process name")
        show_help(s, "signal")
        s.exitstatus = Exit.GENERIC
        return
    _run_each(s, words[1:], all_method="supervisor.signalAllProcesses",
              group_method="supervisor.signalProcessGroup", one_method="supervisor.signalProcess",
              extra=(words[0],), line=signal_result_line, ignored=None,
              bad_group_exit=Exit.GENERIC)
