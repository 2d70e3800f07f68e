"""The dashboard's HTML filled in on the server, as supervisord's pages are.

Why: ``/`` and ``/tail.html`` must show the process table and the log tail
in their first byte of HTML, for ``curl``, text browsers, screen readers
before scripts load and scripts that scrape supervisord's status or tail
page. The page's script then takes over: it rebuilds the table from the
live stream and reopens the log in its viewer. Without JavaScript the rows
still act, through POST forms that carry the CSRF token (the same forms
supervisord's old action links are confirmed with); nothing acts on GET.

Everything a process or the daemon says (names, descriptions, spawn
errors, log output) goes through ``escape``. The template's
placeholders are filled in one pass, so a value that happens to contain
``__MINDER_…__`` is never filled in a second time. No aiohttp here: the
HTTP layer that calls this decides how the page is sent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import timedelta
from urllib.parse import quote

from minder.engine.api import MAX_LOG_SLICE, EngineAPI, LogRef, ProcessSnapshot
from minder.http.webui.actions import resolve_process
from minder.protocol.faults import Faults, SupervisorFault
from minder.protocol.names import make_namespec
from minder.protocol.states import RUNNING_STATES, ProcessState
from minder.records import record
from minder.rpc.structs import describe

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "same-origin",
}
# html.escape's five replacements, without loading the html package (its
# entity table stays in the daemon's memory for good).
_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#x27;"})


def escape(text: str) -> str:
    """``html.escape(text, quote=True)``: text safe in element content and attributes."""
    return text.translate(_ESCAPES)


PLACEHOLDER = re.compile(r"__MINDER_([A-Z_]+?)__")
FIELDS = frozenset(
    {
        "CSRF_TOKEN",
        "STATIC",
        "TITLE",
        "IDENT",
        "DAEMON_STATE",
        "BANNER",
        "NOTICE",
        "ROWS",
        "EMPTY",
        "EMPTY_HIDDEN",
        "LOG_HIDDEN",
        "LOG_TITLE",
        "LOG_BODY",
        "LOG_DOWNLOAD",
        "FOOTER",
    }
)
# ESC [ … final byte, ESC ] … BEL/ST, lone two-byte escapes (as format.js strips them).
ANSI = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
MIN_TAIL = 1024  # supervisord's floor for tail.html's limit
DEFAULT_TAIL = 16 * 1024  # supervisord shows 1 KiB; a page of log reads better
STARTABLE = frozenset({ProcessState.STOPPED, ProcessState.EXITED, ProcessState.FATAL})


@record
class Daemon:
    """What the top bar and footer say about the daemon."""

    identification: str
    statename: str
    version: str
    supervisor_version: str
    pid: int


@record
class Tail:
    """The log shown open on ``tail.html``: a process's stdout, or why there is none."""

    namespec: str
    text: str
    download: str = ""  # a relative URL, '' when there is no file to download


class Template:
    """The dashboard template, split once at its placeholders."""

    def __init__(self, text: str, fixed: Mapping[str, str]) -> None:
        parts = PLACEHOLDER.split(text)
        unknown = {name for name in parts[1::2] if name not in FIELDS}
        if unknown:
            raise ValueError(f"unknown placeholders in the dashboard template: {sorted(unknown)}")
        self._parts = parts
        self._fixed = dict(fixed)

    def fill(self, values: Mapping[str, str]) -> str:
        merged = {**self._fixed, **values}
        out = self._parts[:]
        for i in range(1, len(out), 2):
            out[i] = merged.get(out[i], "")
        return "".join(out)


def uptime(snap: ProcessSnapshot) -> str:
    """H:MM:SS (with days) like the script's column; '' unless RUNNING."""
    if snap.state != ProcessState.RUNNING or not snap.start:
        return ""
    seconds = max(0, int(snap.now - snap.start))
    days, rest = divmod(seconds, 86400)
    hms = str(timedelta(seconds=rest))
    return f"{days}d {hms}" if days else hms


def exit_text(snap: ProcessSnapshot) -> str:
    if snap.state not in (ProcessState.EXITED, ProcessState.FATAL, ProcessState.BACKOFF):
        return ""
    if not snap.stop:
        return ""
    return "signal" if snap.exitstatus == -1 else str(snap.exitstatus)


def tail_link(namespec: str) -> str:
    return f"tail.html?processname={quote(namespec, safe='')}"


def _action_form(action: str, label: str, namespec: str, token: str) -> str:
    """A POST form for one action: the no-JavaScript path, CSRF token included."""
    esc = escape
    css = "btn btn-sm btn-danger" if action == "stop" else "btn btn-sm"
    return (
        '<form method="post" action="./" class="row-form">'
        f'<input type="hidden" name="action" value="{action}">'
        f'<input type="hidden" name="processname" value="{esc(namespec)}">'
        f'<input type="hidden" name="csrf_token" value="{esc(token)}">'
        f'<button type="submit" class="{css}" aria-label="{label} {esc(namespec)}">{label}</button>'
        "</form>"
    )


def process_row(snap: ProcessSnapshot, grouped: bool, token: str) -> str:
    esc = escape
    namespec = make_namespec(snap.group, snap.name)
    state = snap.state.name
    forms = []
    if snap.state in STARTABLE:
        forms.append(_action_form("start", "Start", namespec, token))
    if snap.state in RUNNING_STATES:
        forms.append(_action_form("restart", "Restart", namespec, token))
    if snap.stoppable:  # running, or waiting for a paced restart that stop cancels
        forms.append(_action_form("stop", "Stop", namespec, token))
    link = esc(tail_link(namespec))
    forms.append(f'<a class="btn btn-sm" href="{link}" aria-label="Log of {esc(namespec)}">Log</a>')
    description = describe(snap)
    return (
        f'<tr class="proc{" in-group" if grouped else ""}" data-namespec="{esc(namespec)}"'
        f' data-group="{esc(snap.group)}" data-state="{state}">'
        f'<td class="col-name"><a class="link name" href="{link}"'
        f' title="{esc(snap.spec.command)}">{esc(snap.name if grouped else namespec)}</a></td>'
        f'<td class="col-state"><span class="state s-{state}">{state}</span></td>'
        f'<td class="col-pid num">{snap.pid or ""}</td>'
        f'<td class="col-uptime num">{uptime(snap)}</td>'
        f'<td class="col-desc" title="{esc(description)}">{esc(description)}</td>'
        f'<td class="col-exit num">{exit_text(snap)}</td>'
        f'<td class="col-actions"><div class="row-actions">{"".join(forms)}</div></td>'
        "</tr>"
    )


def group_row(group: str, members: list[ProcessSnapshot]) -> str:
    tally: dict[str, int] = {}
    for snap in members:
        tally[snap.state.name] = tally.get(snap.state.name, 0) + 1
    counts = " · ".join(f"{n} {state.lower()}" for state, n in tally.items())
    return (
        f'<tr class="group-row" data-group="{escape(group)}">'
        '<th colspan="7" scope="rowgroup"><div class="group-head">'
        f'<span class="group-name">{escape(group)}</span>'
        f'<span class="group-counts">{counts}</span></div></th></tr>'
    )


def process_rows(snaps: Iterable[ProcessSnapshot], token: str) -> str:
    """Rows in the script's order: groups by name, a header for real groups, members by name."""
    by_group: dict[str, list[ProcessSnapshot]] = {}
    for snap in snaps:
        by_group.setdefault(snap.group, []).append(snap)
    out: list[str] = []
    for group in sorted(by_group):
        members = sorted(by_group[group], key=lambda s: s.name)
        grouped = len(members) > 1 or members[0].name != group
        if grouped:
            out.append(group_row(group, members))
        out.extend(process_row(snap, grouped, token) for snap in members)
    return "".join(out)


def banner(notice: str) -> str:
    """The outcome of a confirmed action (a server-kept notice, never URL text)."""
    if not notice:
        return '<div id="banner" class="banner" role="alert" hidden></div>'
    css = "banner error" if notice.startswith("ERROR") else "banner"
    return f'<div id="banner" class="{css}" role="alert"><span>{escape(notice)}</span></div>'


def notice_meta(notice: str) -> str:
    """The same notice for the script, which shows it in its own banner."""
    if not notice:
        return ""
    return f'<meta name="minder-notice" content="{escape(notice)}">'


def dashboard(
    template: Template,
    daemon: Daemon,
    snaps: list[ProcessSnapshot],
    token: str,
    *,
    notice: str = "",
    tail: Tail | None = None,
) -> str:
    esc = escape
    values = {
        "TITLE": esc(f"{daemon.identification} · minder" if daemon.identification else "minder"),
        "IDENT": esc(daemon.identification),
        "DAEMON_STATE": esc(daemon.statename),
        "BANNER": banner(notice),
        "NOTICE": notice_meta(notice),
        "ROWS": process_rows(snaps, token),
        "EMPTY": "No processes are configured." if not snaps else "No process matches.",
        "EMPTY_HIDDEN": "hidden" if snaps else "",
        "FOOTER": esc(
            f"minder {daemon.version} (supervisor {daemon.supervisor_version} compatible)"
            f" · pid {daemon.pid}"
        ),
        "LOG_HIDDEN": "hidden",
        "LOG_TITLE": "Log",
        "LOG_DOWNLOAD": "#",
    }
    if tail is not None:
        values["LOG_HIDDEN"] = ""
        values["LOG_TITLE"] = esc(tail.namespec)
        values["LOG_BODY"] = esc(ANSI.sub("", tail.text))
        values["LOG_DOWNLOAD"] = esc(tail.download or "#")
    return template.fill(values)


def daemon_info(api: EngineAPI) -> Daemon:
    from minder import SUPERVISOR_COMPAT_VERSION, __version__

    return Daemon(
        api.identification(),
        api.supervisor_state().name,
        __version__,
        SUPERVISOR_COMPAT_VERSION,
        api.pid(),
    )


def tail_limit(raw: str | None) -> int:
    """supervisord's ``limit``: at least 1024 bytes; minder's default shows more."""
    try:
        wanted = int(raw) if raw else DEFAULT_TAIL
    except ValueError:
        wanted = DEFAULT_TAIL
    return min(max(MIN_TAIL, wanted), MAX_LOG_SLICE)


async def read_tail(api: EngineAPI, name: str, limit: int) -> tuple[Tail, int]:
    """``tail.html``'s last ``limit`` bytes of stdout, or a line that says why there are
    none, and the HTTP status; never raises (the engine reads off the event loop)."""
    try:
        snap = resolve_process(api, name)
    except SupervisorFault:
        return Tail(name, f"No such process: {name}\n"), 404
    namespec = make_namespec(snap.group, snap.name)
    if not snap.stdout_logfile:
        text = "(stdout is not logged to a file: stdout_logfile=NONE or syslog)\n"
        return Tail(namespec, text), 200
    try:
        piece = await api.read_log_slice(LogRef(snap.group, snap.name), None, limit)
    except SupervisorFault as fault:
        if fault.code is Faults.NO_FILE:
            return Tail(namespec, "(no output yet: the log file does not exist)\n"), 200
        return Tail(namespec, f"(the log cannot be read: {fault.extra})\n"), 200
    download = f"api/v1/processes/{quote(namespec, safe='')}/log/stdout/download"
    return Tail(namespec, piece.data.decode("utf-8", "replace"), download), 200
