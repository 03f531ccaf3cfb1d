"""Paddock on a phone: the manifest, its icons and the service worker served from the root."""

from __future__ import annotations

import struct
import zlib

from quart.typing import TestClientProtocol

from webapp.phone import ICON_SIZES, icon_png


def png_pixels(data: bytes) -> tuple[int, int, bytes]:
    """Return width, height and the raw scanlines of an 8-bit RGB PNG."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height, depth, colour = struct.unpack(">IIBB", data[16:26])
    assert (depth, colour) == (8, 2)
    at, idat = 8, b""
    while at < len(data):
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        body = data[at + 8 : at + 8 + length]
        (crc,) = struct.unpack(">I", data[at + 8 + length : at + 12 + length])
        assert crc == zlib.crc32(kind + body)
        if kind == b"IDAT":
            idat += body
        at += 12 + length
    return width, height, zlib.decompress(idat)


def test_icons_are_valid_pngs_of_the_chequered_flag() -> None:
    width, height, raw = png_pixels(icon_png(192))
    assert (width, height) == (192, 192)
    stride = 1 + 3 * width

    def pixel(x: int, y: int) -> bytes:
        return raw[y * stride + 1 + 3 * x : y * stride + 4 + 3 * x]

    assert pixel(5, 5) == b"\x1c\x1c\x1e"  # the dark ground
    assert pixel(50, 50) == b"\x1c\x1c\x1e" and pixel(74, 50) == b"\xff\xff\xff"  # squares
    assert pixel(96, 152) == b"\xd0\x02\x1b"  # the red line under the flag


async def test_the_manifest_names_the_app_and_icons_that_are_served(
    client: TestClientProtocol,
) -> None:
    response = await client.get("/manifest.webmanifest")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    manifest = await response.get_json()
    assert manifest["short_name"] == "Paddock" and manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {icon["sizes"] for icon in manifest["icons"]}
    assert {f"{s}x{s}" for s in ICON_SIZES} <= sizes
    for icon in manifest["icons"]:
        served = await client.get(icon["src"])
        assert served.status_code == 200 and served.mimetype == icon["type"], icon["src"]
    assert (await client.get("/icons/icon-64.png")).status_code == 404


async def test_the_service_worker_is_served_from_the_root_and_pages_link_it(
    client: TestClientProtocol,
) -> None:
    worker = await client.get("/sw.js")
    assert worker.status_code == 200 and "javascript" in worker.mimetype
    assert worker.headers["Cache-Control"] == "no-cache"
    script = (await worker.get_data()).decode()
    assert 'addEventListener("push"' in script and "Offline, last updated at" in script
    # Our CSP lets the page load the worker and the manifest: both are this origin's.
    policy = worker.headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy

    page = (await (await client.get("/leaderboard")).get_data()).decode()
    assert '<link rel="manifest" href="/manifest.webmanifest">' in page
    assert "/static/js/phone." in page
