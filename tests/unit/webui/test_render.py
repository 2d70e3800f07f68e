"""The server-rendered dashboard: escaping, one-pass filling, supervisord's tail limit."""

from __future__ import annotations

import html

import pytest
from hypothesis import given
from hypothesis import strategies as st

from minder.engine.api import MAX_LOG_SLICE
from minder.http.webui import render
from minder.http.webui.assets import StaticAssets
from minder.protocol.states import ProcessState
from tests.fakes.engine import FakeEngine

DAEMON = render.Daemon("id<x>", "RUNNING", "0.1.0", "4.3.0", 42)


def template() -> render.Template:
    return render.Template(StaticAssets().template(), {"CSRF_TOKEN": "tok", "STATIC": "static/x"})


def test_every_placeholder_is_filled_once() -> None:
    engine = FakeEngine()
    engine.add("g", "__MINDER_ROWS__", ProcessState.RUNNING)
    page = render.dashboard(template(), DAEMON, engine.snapshots(), "tok")
    assert 'data-namespec="g:__MINDER_ROWS__"' in page  # the name, shown as it is
    assert page.count('data-state="RUNNING"') == 1  # not filled in again with the rows
    assert "__MINDER_" not in page.replace("__MINDER_ROWS__", "")
    assert "id&lt;x&gt; · minder</title>" in page


def test_unknown_placeholders_are_refused() -> None:
    with pytest.raises(ValueError, match="NOPE"):
        render.Template("<p>__MINDER_NOPE__</p>", {})


def test_hostile_names_and_log_text_are_escaped() -> None:
    engine = FakeEngine()
    engine.add("<g>", "<n>\"'&", ProcessState.FATAL)
    tail = render.Tail("<g>:<n>", "\x1b[31m<script>x</script>\x1b[0m")
    page = render.dashboard(template(), DAEMON, engine.snapshots(), "tok", tail=tail, notice="<b>")
    assert "<n>" not in page and "<script>x" not in page and "<b>" not in page
    assert 'data-namespec="&lt;g&gt;:&lt;n&gt;&quot;&#x27;&amp;"' in page
    assert ">&lt;script&gt;x&lt;/script&gt;</pre>" in page


def test_tail_limit_follows_supervisord() -> None:
    assert render.tail_limit("10") == 1024
    assert render.tail_limit("4096") == 4096
    assert render.tail_limit("nonsense") == render.DEFAULT_TAIL
    assert render.tail_limit(None) == render.DEFAULT_TAIL
    assert render.tail_limit(str(10**12)) == MAX_LOG_SLICE


@given(st.text())
def test_escape_is_html_escape(text: str) -> None:
    assert render.escape(text) == html.escape(text, quote=True)
