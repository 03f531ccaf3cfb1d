"""Compress text responses with Brotli or gzip, whichever the client prefers."""

from __future__ import annotations

import gzip

import brotli
from quart import Quart, Response, request
from quart.wrappers.response import DataBody

MIN_BYTES = 500
COMPRESSIBLE = frozenset(
    {
        "text/html",
        "text/css",
        "text/plain",
        "text/javascript",
        "application/javascript",
        "application/json",
        "application/problem+json",
        "image/svg+xml",
    }
)
# Fast settings: these run on every dynamic response, where latency matters more than bytes.
BROTLI_QUALITY = 4
GZIP_LEVEL = 6


def choose_encoding(accepted: dict[str, float]) -> str | None:
    """Return `br`, `gzip` or None from the client's Accept-Encoding qualities."""
    best, best_quality = None, 0.0
    for name in ("br", "gzip"):
        quality = accepted.get(name, accepted.get("*", 0.0))
        if quality > best_quality:
            best, best_quality = name, quality
    return best


def compress(data: bytes, encoding: str) -> bytes:
    """Return `data` compressed with `encoding` (`br` or `gzip`)."""
    if encoding == "br":
        return bytes(brotli.compress(data, quality=BROTLI_QUALITY))
    return gzip.compress(data, compresslevel=GZIP_LEVEL, mtime=0)


def _accepted() -> dict[str, float]:
    return {value.lower(): quality for value, quality in request.accept_encodings}


def _worth_compressing(response: Response) -> bool:
    if request.method == "HEAD" or "Content-Encoding" in response.headers:
        return False
    if response.status_code < 200 or response.status_code in (204, 206, 304):
        return False
    if response.content_length is not None and response.content_length < MIN_BYTES:
        return False
    # A streamed body is sent as it is produced; files (static assets) are read whole.
    return isinstance(response.response, DataBody) or request.endpoint == "static"


def init_compression(app: Quart) -> None:
    """Compress responses; register before other after_request hooks so it runs last."""

    @app.after_request
    async def _compress(response: Response) -> Response:
        if response.mimetype not in COMPRESSIBLE:
            return response
        response.vary.add("Accept-Encoding")
        # No Accept-Encoding accepts nothing but identity: skip the checks.
        if not request.headers.get("Accept-Encoding") or not _worth_compressing(response):
            return response
        encoding = choose_encoding(_accepted())
        if encoding is None:
            return response
        data = await response.get_data(as_text=False)
        if len(data) < MIN_BYTES:
            return response
        response.set_data(compress(data, encoding))
        response.headers["Content-Encoding"] = encoding
        etag, weak = response.get_etag()
        if etag and not weak:
            # Same content, other bytes: a weak validator still answers If-None-Match.
            response.set_etag(etag, weak=True)
        return response
