"""Follow ``/logtail`` and ``/mainlogtail`` streams until Ctrl-C.

One stream is copied raw (supervisorctl's ``tail -f``). Several streams
each get a thread and a connection of their own and are interleaved line
by line behind a coloured ``name | `` prefix, like foreman or honcho. The
main thread only waits on an Event, so Ctrl-C reaches it at once.
"""

from __future__ import annotations

import threading

from minder.ctl.render import tail_prefixes
from minder.ctl.session import Exit, Session
from minder.ctl.transport import AuthRequired, Connection, HttpError
from minder.protocol.names import make_namespec, split_namespec

TYPE_CHECKING = False  # typing is not imported at run time: it costs startup
if TYPE_CHECKING:
    from typing import Any


def _connection(s: Session) -> Connection:
    o = s.options
    return Connection(o.serverurl, o.username, o.password)


def _stream_error(s: Session, name: str, exc: Exception, missing: str) -> None:
    s.exitstatus = Exit.GENERIC
    if isinstance(exc, AuthRequired):
        s.output("Server requires authentication")
    elif isinstance(exc, HttpError) and exc.status == 404:
        s.output(f"{name}: ERROR ({missing})")
    elif isinstance(exc, OSError):
        s.output(s.describe_connection_error(exc)[0])
    else:
        s.output(f"{name}: ERROR ({exc})")


def follow_path(s: Session, path: str, name: str, missing: str = "no log file") -> None:
    """Copy one stream to the output as it arrives."""
    from minder.ctl.commands.logs import warn_encoding

    warn_encoding(s)
    s.output("==> Press Ctrl-C to exit <==")
    s.out.flush()
    connection = _connection(s)
    try:
        for chunk in connection.stream(path):
            s.out.write(chunk.decode("utf-8", "replace"))
            s.out.flush()
    except KeyboardInterrupt:
        s.output("")
    except (AuthRequired, HttpError, OSError) as exc:
        _stream_error(s, name, exc, missing)
    finally:
        connection.close()


def follow_one(s: Session, name: str, channel: str) -> None:
    follow_path(s, f"/logtail/{name}/{channel}", name, _why_missing(s, name))


def _why_missing(s: Session, name: str) -> str:
    """What a 404 from /logtail/<name> will mean: asked up front, the stream can't say."""
    from minder.ctl.wire import RpcFault

    try:
        s.call("supervisor.getProcessInfo", name)
    except RpcFault:
        return "no such process name"
    return "no log file"


def expand_names(infos: list[dict[str, Any]], words: list[str]) -> tuple[list[str], list[str]]:
    """Namespecs that ``words`` (names, ``group:*``, ``all``) select, and words matching none."""
    chosen: list[str] = []
    unknown: list[str] = []
    if "all" in words:
        return [make_namespec(i["group"], i["name"]) for i in infos], []
    for word in words:
        group, process = split_namespec(word)
        matched = [
            make_namespec(i["group"], i["name"]) for i in infos
            if i["group"] == group and (process is None or i["name"] == process)
        ]
        if not matched:
            unknown.append(word)
        chosen.extend(m for m in matched if m not in chosen)
    return chosen, unknown


class _Interleaver:
    """Writes whole lines from many streams, each behind its prefix."""

    def __init__(self, s: Session, prefixes: dict[str, str]) -> None:
        self.s = s
        self.prefixes = prefixes
        self.lock = threading.Lock()
        self.remaining = len(prefixes)
        self.all_done = threading.Event()

    def write(self, name: str, text: str) -> None:
        prefix = self.prefixes[name]
        with self.lock:
            self.s.out.write("".join(prefix + line + "\n" for line in text.split("\n")))
            self.s.out.flush()

    def pump(self, name: str, path: str) -> None:
        pending = ""
        connection = _connection(self.s)
        try:
            for chunk in connection.stream(path):
                pending += chunk.decode("utf-8", "replace")
                complete, sep, pending = pending.rpartition("\n")
                if sep:
                    self.write(name, complete)
            if pending:
                self.write(name, pending)
        except (AuthRequired, HttpError, OSError) as exc:
            with self.lock:
                _stream_error(self.s, name, exc, "no log file")
        finally:
            connection.close()
            with self.lock:
                self.remaining -= 1
                if self.remaining == 0:
                    self.all_done.set()


def follow_many(s: Session, words: list[str], channel: str) -> None:
    infos = s.call("supervisor.getAllProcessInfo")
    names, unknown = expand_names(infos, words)
    for word in unknown:
        s.output(f"{word}: ERROR (no such process name)")
        s.exitstatus = Exit.GENERIC
    if not names:
        return
    interleaver = _Interleaver(s, tail_prefixes(names, s.colour))
    s.output("==> Press Ctrl-C to exit <==")
    s.out.flush()
    for name in names:
        thread = threading.Thread(
            target=interleaver.pump, args=(name, f"/logtail/{name}/{channel}"), daemon=True
        )
        thread.start()
    try:
        interleaver.all_done.wait()
    except KeyboardInterrupt:
        s.output("")
