"""The UI's static files: self-contained, relative, and text-only for output."""

from __future__ import annotations

import re
from importlib import resources

STATIC = resources.files("minder.http") / "static"


def _assets() -> dict[str, str]:
    found: dict[str, str] = {}
    stack = [STATIC]
    while stack:
        node = stack.pop()
        for child in node.iterdir():
            if child.is_dir():
                stack.append(child)
            elif child.name.endswith((".js", ".css", ".html", ".svg")):
                found[child.name] = child.read_text(encoding="utf-8")
    return found


def test_the_expected_files_ship_as_package_data() -> None:
    assets = _assets()
    for name in ("index.html", "app.css", "app.js", "api.js", "logview.js", "theme.js"):
        assert name in assets


def test_scripts_never_parse_html() -> None:
    for name, text in _assets().items():
        if name.endswith(".js"):
            for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
                assert sink not in text, f"{name} uses {sink}"


def test_no_external_resources() -> None:
    for name, text in _assets().items():
        urls = re.findall(r"https?://[^\s\"')]+", text)
        assert [u for u in urls if "www.w3.org/2000/svg" not in u] == [], name


def test_urls_are_relative_so_a_proxy_sub_path_works() -> None:
    absolute = re.compile(r"""(?:href|src|action)=["']/|fetch\(["'`]/|["'`]/(?:api|static)/""")
    for name, text in _assets().items():
        assert not absolute.search(text), f"{name} has an absolute URL"


def test_no_inline_script_or_style_blocks_the_csp_would_refuse() -> None:
    page = _assets()["index.html"]
    assert re.search(r"<script(?![^>]*\ssrc=)[^>]*>", page) is None
    assert "<style" not in page and " style=" not in page
    assert " onclick=" not in page
