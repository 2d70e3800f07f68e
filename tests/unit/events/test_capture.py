"""Capture mode parsing: tokens split across reads, bounded captures, EOF tail."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from minder.engine.events.capture import CaptureSplitter, Segment
from minder.protocol.events import CAPTURE_BEGIN as B
from minder.protocol.events import CAPTURE_END as E


def run(chunks: list[bytes], maxbytes: int = 1000) -> tuple[bytes, list[bytes]]:
    splitter = CaptureSplitter(maxbytes)
    segments: list[Segment] = []
    for chunk in chunks:
        segments += splitter.feed(chunk)
    segments += splitter.finish()
    log = b"".join(s.data for s in segments if not s.captured)
    return log, [s.data for s in segments if s.captured]


def test_message_between_tokens_is_captured_and_text_around_it_logged() -> None:
    assert run([b"before " + B + b"the msg" + E + b" after\n"]) == (
        b"before  after\n",
        [b"the msg"],
    )


def test_short_tail_is_not_lost_at_eof() -> None:
    # supervisord never writes a tail shorter than the BEGIN token; we do.
    assert run([b"after\n", "héllo\n".encode()]) == ("after\nhéllo\n".encode(), [])


def test_plain_text_is_passed_on_at_once_except_a_possible_token_prefix() -> None:
    splitter = CaptureSplitter(100)
    assert splitter.feed(b"line one\n<!--XSUP") == [Segment(b"line one\n")]
    assert splitter.feed(b"nope\n") == [Segment(b"<!--XSUPnope\n")]


def test_capture_is_bounded_keeping_the_newest_bytes() -> None:
    assert run([B + b"0123456789" + E], maxbytes=4) == (b"", [b"6789"])


def test_unterminated_capture_is_logged_at_eof_rather_than_dropped() -> None:
    assert run([b"x" + B + b"partial"]) == (b"x" + B + b"partial", [])


def test_several_messages_and_empty_message() -> None:
    assert run([B + b"a" + E + B + E + b"z"]) == (b"z", [b"a", b""])


@given(
    parts=st.lists(st.sampled_from([b"a", b"\n", B, E, b"<!--", b"XSUPERVISOR", b"-->"]),
                   max_size=30),
    cuts=st.lists(st.integers(min_value=0, max_value=400), max_size=8),
)
def test_result_does_not_depend_on_how_output_was_chunked(
    parts: list[bytes], cuts: list[int]
) -> None:
    stream = b"".join(parts)
    points = sorted({c % (len(stream) + 1) for c in cuts})
    chunks, last = [], 0
    for p in [*points, len(stream)]:
        chunks.append(stream[last:p])
        last = p
    assert run(chunks) == run([stream])
