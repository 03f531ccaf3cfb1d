"""Paddock on a phone: the web app manifest, its icons and the service worker, at the root.

The service worker lives at `/sw.js` so that its scope is the whole site; what it does
(offline copies of boards and team pages, push) is written in `static/js/sw.js`.
"""

from __future__ import annotations

import json
import struct
import zlib
from functools import lru_cache

from quart import Blueprint, Response, current_app

from webapp.assets import Manifest

phone = Blueprint("phone", __name__)
THEME = "#1c1c1e"
BACKGROUND = "#f6f6f4"
ICON_SIZES = (192, 512)
DARK, LIGHT, RED = (0x1C, 0x1C, 0x1E), (0xFF, 0xFF, 0xFF), (0xD0, 0x02, 0x1B)
# The worker script is revalidated on every check, so a deploy's new worker is found at once.
REVALIDATE = "no-cache"
ONE_DAY = "public, max-age=86400"


def _pixel(u: int, v: int) -> tuple[int, int, int]:
    """Return the colour of the 512-unit icon at (u, v): a chequered flag over a red line."""
    if 128 <= u < 384 and 128 <= v < 384:
        return DARK if ((u - 128) // 64 + (v - 128) // 64) % 2 == 0 else LIGHT
    if 128 <= u < 384 and 400 <= v < 424:
        return RED
    return DARK


@lru_cache(maxsize=len(ICON_SIZES))
def icon_png(size: int) -> bytes:
    """Draw the icon of static/icons/icon.svg as a square PNG of `size` pixels."""
    scale = [x * 512 // size for x in range(size)]
    rows = []
    for y in range(size):
        row = bytearray(b"\x00")  # each scanline starts with its filter: none
        for x in range(size):
            row += bytes(_pixel(scale[x], scale[y]))
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)  # 8-bit RGB
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )


def web_manifest(static: Manifest) -> dict[str, object]:
    """Return the web app manifest that lets a phone install Paddock to its home screen."""
    return {
        "name": "Paddock — fantasy Formula 1",
        "short_name": "Paddock",
        "description": "Fantasy Formula 1: teams, leagues and live standings",
        "id": "/",
        "start_url": "/",
        "scope": "/",
        "display": "standalone",
        "background_color": BACKGROUND,
        "theme_color": THEME,
        "icons": [
            *(
                {
                    "src": f"/icons/icon-{size}.png",
                    "sizes": f"{size}x{size}",
                    "type": "image/png",
                    "purpose": "any maskable",
                }
                for size in ICON_SIZES
            ),
            {"src": static.url("icons/icon.svg"), "sizes": "any", "type": "image/svg+xml"},
            {
                "src": static.url("icons/maskable.svg"),
                "sizes": "any",
                "type": "image/svg+xml",
                "purpose": "maskable",
            },
        ],
    }


@phone.get("/manifest.webmanifest")
async def manifest() -> Response:
    """Serve the web app manifest."""
    body = json.dumps(web_manifest(current_app.extensions["static_manifest"]))
    response = Response(body, content_type="application/manifest+json")
    response.headers["Cache-Control"] = ONE_DAY
    return response


@phone.get("/icons/icon-<int:size>.png")
async def icon(size: int) -> Response:
    """Serve the home screen icon at one of the manifest's sizes."""
    if size not in ICON_SIZES:
        return Response("No such icon", status=404, content_type="text/plain")
    response = Response(icon_png(size), content_type="image/png")
    response.headers["Cache-Control"] = ONE_DAY
    return response


@phone.get("/sw.js")
async def service_worker() -> Response:
    """Serve the service worker from the root, so that it may look after every page."""
    response = await current_app.send_static_file("js/sw.js")
    response.headers["Cache-Control"] = REVALIDATE
    response.headers.pop("Expires", None)
    return response
