"""The UI's static files, held in memory and served under a content hash.

``static/<hash>/js/app.js``: the hash covers every file, so a page always
loads scripts from the same release as itself (ES module imports are
relative, so they inherit the prefix), and browsers may cache them
forever. The files are read once, when the daemon starts, so a package
upgraded on disk under a running daemon cannot mix two releases in one
page. A request with another hash (a tab open across a restart into a new
release) still gets the current file, uncached.

Nothing here loads aiohttp or OpenSSL at import (the fast path serves the
files too, see lightweb.py): the content hash is CRC-32 and Adler-32 from
zlib, which is plenty to tell two releases apart and is not a secret.
"""

from __future__ import annotations

import os
import zlib
from typing import TYPE_CHECKING

from minder.records import record

if TYPE_CHECKING:
    from aiohttp import web

IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {
    ".js": "text/javascript",
    ".css": "text/css",
    ".svg": "image/svg+xml",
    ".html": "text/html",
}
TEMPLATE = "index.html"


def static_root() -> str:
    """The package's static directory (os.path: pathlib and importlib.resources
    would stay loaded in the daemon for this one lookup)."""
    import minder.http

    return os.path.realpath(os.path.join(os.path.dirname(minder.http.__file__), "static"))


def _files(root: str) -> list[tuple[str, str]]:
    """``(name with '/' separators, path)`` of every file under ``root``, sorted by name."""
    found = []
    for folder, _, names in os.walk(root):
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path):
                found.append((os.path.relpath(path, root).replace(os.sep, "/"), path))
    return sorted(found)


@record
class Asset:
    body: bytes
    content_type: str

    @property
    def textual(self) -> bool:
        return self.content_type.startswith("text/") or self.content_type.endswith("+xml")


class StaticAssets:
    def __init__(self, root: str | None = None) -> None:
        crc, adler = 0, 1
        self.files: dict[str, Asset] = {}
        for name, path in _files(root or static_root()):
            with open(path, "rb") as f:
                body = f.read()
            chunk = name.encode() + b"\0" + body
            crc, adler = zlib.crc32(chunk, crc), zlib.adler32(chunk, adler)
            kind = TYPES.get(os.path.splitext(name)[1]) or _guess_type(name)
            self.files[name] = Asset(body, kind)
        self.version = f"{crc:08x}{adler:08x}"[:12]

    def template(self) -> str:
        return self.files[TEMPLATE].body.decode("utf-8")

    def prefix(self) -> str:
        """The relative URL prefix pages use: ``static/<hash>``."""
        return f"static/{self.version}"

    def find(self, name: str) -> Asset | None:
        """A servable file (never the page template itself)."""
        return self.files.get(name) if name != TEMPLATE else None

    def cache_headers(self, version: str) -> dict[str, str]:
        current = version == self.version
        return {"Cache-Control": IMMUTABLE if current else "no-cache", "ETag": f'"{self.version}"'}

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/static/{version}/{path:.+}", self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        from aiohttp import web

        asset = self.find(request.match_info["path"])
        if asset is None:
            raise web.HTTPNotFound()
        headers = self.cache_headers(request.match_info["version"])
        if request.headers.get("If-None-Match") == headers["ETag"]:
            return web.Response(status=304, headers=headers)
        return web.Response(
            body=asset.body,
            content_type=asset.content_type,
            charset="utf-8" if asset.textual else None,
            headers=headers,
        )


def _guess_type(name: str) -> str:
    import mimetypes  # reads the system's type tables: only for an unusual file

    return mimetypes.guess_type(name)[0] or "application/octet-stream"
