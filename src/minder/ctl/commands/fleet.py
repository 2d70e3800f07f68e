"""``status`` across several daemons: ``minderctl -s A -s B status``.

Each server is asked in turn with its own connection (the same username and
password for all); the answer is one table whose first column names the
host, so a fleet reads like one machine. A server that cannot be reached is
a row of its own, and the exit status is ``status``'s: 0 all running,
3 something not running, 4 an unknown name or an unreachable server.
"""

from __future__ import annotations

from minder.ctl.commands.status import STOPPED_STATE_NAMES, select
from minder.ctl.render import status_json, status_lines
from minder.ctl.session import Exit, Session

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any

    from minder.ctl.options import CtlOptions


def host_label(url: str) -> str:
    """``http://web1:9001`` -> ``web1:9001``; ``unix:///run/a.sock`` -> ``/run/a.sock``."""
    _scheme, sep, rest = url.partition("://")
    return rest.rstrip("/") if sep and rest.strip("/") else url


def _options_for(options: CtlOptions, url: str) -> CtlOptions:
    from minder.ctl.options import CtlOptions

    copy = CtlOptions()
    for name in CtlOptions.__slots__:
        setattr(copy, name, getattr(options, name))
    copy.serverurl = url
    copy.serverurls = []
    return copy


def _ask(s: Session, url: str) -> tuple[list[dict[str, Any]], str | None]:
    """(process infos, None) or ([], the reason the server gave none)."""
    from minder.ctl.transport import AuthRequired, HttpError
    from minder.ctl.wire import RpcFault, WireError

    session = Session(_options_for(s.options, url), out=s.out, colour=s.colour)
    try:
        return session.call("supervisor.getAllProcessInfo"), None
    except AuthRequired:
        return [], "ERROR (server requires authentication)"
    except RpcFault as fault:
        return [], f"ERROR (fault {fault.code}: {fault.text})"
    except HttpError as exc:
        return [], f"ERROR (HTTP {exc.status} {exc.reason})"
    except WireError as exc:
        return [], f"ERROR ({exc})"
    except OSError as exc:
        message, _code = session.describe_connection_error(exc)
        return [], f"ERROR ({message.removeprefix(url).strip(': ')})"
    finally:
        session.reconnect()  # closes the connection


def fleet_status(s: Session, words: list[str]) -> None:
    as_json = "--json" in words
    names = [w for w in words if w != "--json"]
    say = s.error if as_json else s.output
    width = max(len(host_label(url)) for url in s.options.serverurls) + 2
    hosts: list[str] = []  # one per chosen process, in table order
    chosen: list[dict[str, Any]] = []
    for url in s.options.serverurls:
        host = host_label(url)
        infos, problem = _ask(s, url)
        if problem is not None:
            say(f"{host.ljust(width)}{problem}")
            s.exitstatus = Exit.STATUS_UNKNOWN
            continue
        picked, errors = select(infos, names)
        for line in errors:
            say(f"{host.ljust(width)}{line}")
            s.exitstatus = Exit.STATUS_UNKNOWN
        hosts += [host] * len(picked)
        chosen += [{**info, "serverurl": url} for info in picked]
    stopped = any(info["statename"] in STOPPED_STATE_NAMES for info in chosen)
    if stopped and s.exitstatus == Exit.SUCCESS:
        s.exitstatus = Exit.STATUS_NOT_RUNNING
    if as_json:
        import json

        rows = [
            {"host": host, "serverurl": info["serverurl"], **row}
            for host, info, row in zip(hosts, chosen, status_json(chosen), strict=True)
        ]
        s.output(json.dumps(rows, indent=2))
        return
    for host, line in zip(hosts, status_lines(chosen, s.colour), strict=True):
        s.output(f"{host.ljust(width)}{line}")
