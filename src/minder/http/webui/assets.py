"""The UI's static files, held in memory and served under a content hash.

``static/<hash>/js/app.js``: the hash covers every file, so a page always
loads scripts from the same release as itself (ES module imports are
relative, so they inherit the prefix), and browsers may cache them
forever. The files are read once, when the daemon starts, so a package
upgraded on disk under a running daemon cannot mix two releases in one
page. A request with another hash (a tab open across a restart into a new
release) still gets the current file, uncached.
"""

from __future__ import annotations

import hashlib
import mimetypes
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from aiohttp import web

IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}
TEMPLATE = "index.html"


def static_root() -> Path:
    return Path(str(resources.files("minder.http") / "static")).resolve()


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    content_type: str


class StaticAssets:
    def __init__(self, root: Path | None = None) -> None:
        root = root or static_root()
        digest = hashlib.sha256()
        self.files: dict[str, Asset] = {}
        for path in sorted(p for p in root.rglob("*") if p.is_file()):
            name = path.relative_to(root).as_posix()
            body = path.read_bytes()
            digest.update(name.encode() + b"\0" + body)
            kind = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
            self.files[name] = Asset(body, kind or "application/octet-stream")
        self.version = digest.hexdigest()[:12]

    def template(self) -> str:
        return self.files[TEMPLATE].body.decode("utf-8")

    def prefix(self) -> str:
        """The relative URL prefix pages use: ``static/<hash>``."""
        return f"static/{self.version}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/static/{version}/{path:.+}", self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["path"]
        asset = self.files.get(name) if name != TEMPLATE else None
        if asset is None:
            raise web.HTTPNotFound()
        current = request.match_info["version"] == self.version
        etag = f'"{self.version}"'
        headers = {"Cache-Control": IMMUTABLE if current else "no-cache", "ETag": etag}
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        textual = asset.content_type.startswith("text/") or asset.content_type.endswith("+xml")
        return web.Response(
            body=asset.body,
            content_type=asset.content_type,
            charset="utf-8" if textual else None,
            headers=headers,
        )
