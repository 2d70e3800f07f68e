"""The UI's static files, served under a content-hashed path.

``static/<hash>/js/app.js``: the hash covers every file, so a page always
loads scripts from the same release as itself (ES module imports are
relative, so they inherit the prefix), and browsers may cache them
forever. A request with an old hash still gets today's file, uncached, so
a tab left open across an upgrade keeps working after its next reload.
"""

from __future__ import annotations

import hashlib
import mimetypes
from importlib import resources
from pathlib import Path

from aiohttp import web

IMMUTABLE = "public, max-age=31536000, immutable"
TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def static_root() -> Path:
    return Path(str(resources.files("minder.http") / "static")).resolve()


def assets_version(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


class StaticAssets:
    def __init__(self, root: Path | None = None) -> None:
        self.root = root or static_root()
        self.version = assets_version(self.root)

    def prefix(self) -> str:
        """The relative URL prefix pages use: ``static/<hash>``."""
        return f"static/{self.version}"

    def add_routes(self, app: web.Application) -> None:
        app.router.add_get("/static/{version}/{path:.+}", self.serve)

    async def serve(self, request: web.Request) -> web.StreamResponse:
        path = (self.root / request.match_info["path"]).resolve()
        if not path.is_relative_to(self.root) or not path.is_file() or path.name == "index.html":
            raise web.HTTPNotFound()
        current = request.match_info["version"] == self.version
        content_type = TYPES.get(path.suffix) or mimetypes.guess_type(path.name)[0]
        return web.FileResponse(
            path,
            headers={
                "Cache-Control": IMMUTABLE if current else "no-cache",
                "Content-Type": content_type or "application/octet-stream",
            },
        )
