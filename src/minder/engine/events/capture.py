"""Capture mode: split a channel's output into log bytes and captured messages.

A child writes ``<!--XSUPERVISOR:BEGIN-->message<!--XSUPERVISOR:END-->``
to hand ``message`` to listeners as PROCESS_COMMUNICATION_<channel>.

This parser is incremental: it holds back only the bytes that could still
be the start of a token (at most len(token) - 1), and ``finish()`` returns
them at EOF. supervisord instead holds back any output shorter than the
BEGIN token and loses it when the child exits without writing more.
Captured bytes go only to the event, not to the log (as supervisord's docs
say; its code also logs them).
"""

from __future__ import annotations

from dataclasses import field

from minder.protocol.events import CAPTURE_BEGIN, CAPTURE_END
from minder.records import mutable_record, record


@record
class Segment:
    """A piece of output: plain log bytes, or one complete captured message."""

    data: bytes
    captured: bool = False


def _partial_token_length(buf: bytes | bytearray, token: bytes) -> int:
    """Length of the longest tail of ``buf`` that is a proper prefix of ``token``."""
    for size in range(min(len(token) - 1, len(buf)), 0, -1):
        if buf.endswith(token[:size]):
            return size
    return 0


@mutable_record
class CaptureSplitter:
    """Per-channel parser state; ``maxbytes`` bounds one captured message."""

    maxbytes: int
    capturing: bool = False
    _held: bytes = b""
    _capture: bytearray = field(default_factory=bytearray)

    def feed(self, data: bytes) -> list[Segment]:
        buf = self._held + data
        self._held = b""
        out: list[Segment] = []
        while buf:
            token = CAPTURE_END if self.capturing else CAPTURE_BEGIN
            at = buf.find(token)
            if at >= 0:
                self._take(buf[:at], out)
                buf = buf[at + len(token) :]
                if self.capturing:
                    out.append(Segment(bytes(self._capture), captured=True))
                    self._capture.clear()
                self.capturing = not self.capturing
                continue
            keep = _partial_token_length(buf, token)
            self._take(buf[: len(buf) - keep], out)
            self._held = buf[len(buf) - keep :]
            break
        return out

    def finish(self) -> list[Segment]:
        """At EOF: return held-back bytes (and an unterminated capture) as log."""
        pending = bytes(self._capture) + self._held if self.capturing else self._held
        prefix = CAPTURE_BEGIN if self.capturing else b""
        self._held = b""
        self._capture.clear()
        self.capturing = False
        return [Segment(prefix + pending)] if prefix or pending else []

    def _take(self, chunk: bytes, out: list[Segment]) -> None:
        if not chunk:
            return
        if not self.capturing:
            if out and not out[-1].captured:
                out[-1] = Segment(out[-1].data + chunk)
            else:
                out.append(Segment(chunk))
            return
        self._capture += chunk
        overflow = len(self._capture) - self.maxbytes
        if overflow > 0:
            del self._capture[:overflow]
