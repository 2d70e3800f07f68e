"""``status [--json] [name|group:*|all ...]``: exit 0, 3 (something stopped) or 4 (bad name)."""

from __future__ import annotations

from minder.ctl.render import status_json, status_lines
from minder.ctl.session import Exit, Session
from minder.protocol.names import split_namespec

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any


# The names of protocol.states.STOPPED_STATES (a unit test keeps them equal);
# comparing names spares `status` the enum import.
STOPPED_STATE_NAMES = frozenset({"STOPPED", "EXITED", "FATAL", "UNKNOWN"})


def select(
    all_infos: list[dict[str, Any]], names: list[str]
) -> tuple[list[dict[str, Any]], list[str]]:
    """The infos ``names`` select, in the order asked, and error lines for bad names."""
    if not names or "all" in names:
        return list(all_infos), []
    chosen: list[dict[str, Any]] = []
    errors: list[str] = []
    for name in names:
        group, process = split_namespec(name)
        matched = [
            info for info in all_infos
            if info["group"] == group and (process is None or info["name"] == process)
        ]
        if not matched:
            if process is None:
                errors.append(f"{group}: ERROR (no such group)")
            else:
                errors.append(f"{name}: ERROR (no such process)")
        chosen.extend(matched)
    return chosen, errors


UNKNOWN_METHOD = 1  # protocol.faults.Faults.UNKNOWN_METHOD, without importing enum


def all_process_info(s: Session) -> list[dict[str, Any]]:
    """supervisor.getAllProcessInfo's structs; from minderd as one JSON text.

    minderd's ``minder.getAllProcessInfoJSON`` is the same array in JSON,
    which the C decoder reads ~7x faster than the XML (5,000 processes:
    1.4 MB instead of 5.4). A daemon that does not know it (supervisord, an
    older minderd) answers UNKNOWN_METHOD, and we ask the supervisord way.
    """
    from minder.ctl.wire import RpcFault, WireError, decode_json

    try:
        text = s.call("minder.getAllProcessInfoJSON")
    except RpcFault as fault:
        if fault.code != UNKNOWN_METHOD:
            raise
        infos: list[dict[str, Any]] = s.call("supervisor.getAllProcessInfo")
        return infos
    if not isinstance(text, str):
        raise WireError("minder.getAllProcessInfoJSON did not answer a string")
    infos = decode_json(text)
    if not isinstance(infos, list):
        raise WireError("minder.getAllProcessInfoJSON did not answer an array")
    return infos


def _vitals(s: Session) -> dict[tuple[str, str], dict[str, Any]]:
    """minder.getAllProcessVitals by (group, name); {} from a daemon without it."""
    from minder.ctl.wire import RpcFault

    try:
        return {(v["group"], v["name"]): v for v in s.call("minder.getAllProcessVitals")}
    except RpcFault:
        return {}  # upstream supervisord: the supervisord keys only


def do_status(s: Session, arg: str) -> None:
    words = arg.split()
    as_json = "--json" in words
    names = [w for w in words if w != "--json"]
    if not s.upcheck():
        s.exitstatus = Exit.STATUS_UNKNOWN
        return
    all_infos = all_process_info(s)
    chosen, errors = select(all_infos, names)
    for line in errors:
        (s.error if as_json else s.output)(line)
    if errors:
        s.exitstatus = Exit.STATUS_UNKNOWN
    if as_json:
        import json

        s.output(json.dumps(status_json(chosen, _vitals(s)), indent=2))
    else:
        lines = status_lines(chosen, s.colour)
        if lines:  # one write for the table, not one per process
            s.output("\n".join(lines))
    if any(info["statename"] in STOPPED_STATE_NAMES for info in chosen):
        s.exitstatus = Exit.STATUS_NOT_RUNNING
