"""Static assets under content-hashed names, cached for a year; other paths revalidate."""

from __future__ import annotations

import hashlib
from pathlib import Path, PurePosixPath

from quart import Quart, Response

HASH_CHARS = 12
IMMUTABLE = "public, max-age=31536000, immutable"
# An unhashed path may change with a deploy: browsers keep it briefly, then revalidate by ETag.
SHORT = "public, max-age=300"


def hashed_name(path: str, digest: str) -> str:
    """Return `css/app.css` as `css/app.<digest>.css`."""
    pure = PurePosixPath(path)
    return str(pure.with_name(f"{pure.stem}.{digest}{pure.suffix}"))


class Manifest:
    """Every static file's hashed name, computed once when the app is built."""

    def __init__(self, folder: Path) -> None:
        self.hashed: dict[str, str] = {}
        self.original: dict[str, str] = {}
        for file in sorted(p for p in folder.rglob("*") if p.is_file()):
            path = file.relative_to(folder).as_posix()
            digest = hashlib.sha256(file.read_bytes()).hexdigest()[:HASH_CHARS]
            self.hashed[path] = hashed_name(path, digest)
            self.original[self.hashed[path]] = path

    def url(self, path: str) -> str:
        """Return the URL of a static file: hashed when it exists, else its plain path."""
        return f"/static/{self.hashed.get(path.lstrip('/'), path.lstrip('/'))}"


def init_assets(app: Quart) -> None:
    """Add `static_url(path)` to templates and serve hashed names with a year-long cache."""
    assert app.static_folder is not None
    manifest = Manifest(Path(app.static_folder))
    app.extensions["static_manifest"] = manifest
    app.jinja_env.globals["static_url"] = manifest.url

    async def static(filename: str) -> Response:
        original = manifest.original.get(filename)
        response = await app.send_static_file(original or filename)
        response.headers["Cache-Control"] = IMMUTABLE if original else SHORT
        response.headers.pop("Expires", None)  # Cache-Control says it all
        return response

    # Same URL rule (/static/<path:filename>), our view: the endpoint keeps its name.
    app.view_functions["static"] = static
