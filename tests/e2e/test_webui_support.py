"""Shared helpers for the web UI and nginx browser tests (holds no tests).

Headless Chromium through Playwright's sync API, a real minderd with an
inet_http_server on a free loopback port, screenshots in test-artifacts/.
"""

from __future__ import annotations

import os
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.support.daemons import RunningDaemon, run_daemon
from tests.support.ports import free_port

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
UI_TIMEOUT_MS = 20_000  # generous: a loaded 2-core machine

needs_chromium = pytest.mark.skipif(
    not os.path.exists(CHROMIUM), reason=f"headless browser tests need {CHROMIUM}"
)


def inet_section(port: int, username: str = "", password: str = "") -> str:
    auth = f"username={username}\npassword={password}\n" if username else ""
    return f"[inet_http_server]\nport=127.0.0.1:{port}\n{auth}\n"


def supervisor_call(daemon: RunningDaemon, method: str, *args: Any) -> Any:
    """One ``supervisor.*`` XML-RPC call over the unix socket, socket closed after."""
    with daemon.rpc() as proxy:
        return getattr(proxy.supervisor, method)(*args)


def state_of(daemon: RunningDaemon, namespec: str) -> str:
    return str(supervisor_call(daemon, "getProcessInfo", namespec)["statename"])


def write_script(workdir: Path, name: str, body: str) -> Path:
    path = workdir / name
    path.write_text(textwrap.dedent(body))
    return path


@contextmanager
def minderd_with_ui(workdir: Path, programs: str) -> Iterator[tuple[RunningDaemon, str]]:
    """minderd serving HTTP on a free port; yields (daemon, base URL)."""
    port = free_port()
    with run_daemon(workdir, inet_section(port) + textwrap.dedent(programs)) as daemon:
        yield daemon, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"headless browser tests need {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@contextmanager
def open_page(browser: Any, url: str, **context_args: Any) -> Iterator[Any]:
    """A fresh context and page; fails the test on any page script error."""
    context_args.setdefault("viewport", {"width": 1280, "height": 800})
    context = browser.new_context(**context_args)
    context.set_default_timeout(UI_TIMEOUT_MS)
    expect.set_options(timeout=UI_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(url)
        yield page
        assert not errors, f"script errors on the page: {errors}"
    finally:
        context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


# The server renders the first table (tbody data-rendered="server"); the
# script replaces it with live rows (data-rendered="live").
LIVE_ROWS = '#rows[data-rendered="live"]'


def css_string(value: str) -> str:
    """``value`` quoted for a CSS attribute selector (names may hold quotes)."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def row(page: Any, namespec: str, *, live: bool = True) -> Any:
    scope = LIVE_ROWS if live else "#rows"
    return page.locator(f"{scope} tr.proc[data-namespec={css_string(namespec)}]")


def wait_row_state(page: Any, namespec: str, state: str, *, live: bool = True) -> None:
    """Wait until the row shows ``state``; by default in the script's live table."""
    scope = LIVE_ROWS if live else "#rows"
    page.wait_for_selector(
        f'{scope} tr.proc[data-namespec={css_string(namespec)}][data-state="{state}"]'
    )
