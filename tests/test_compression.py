"""Text responses are compressed with what the client accepts, and only when it pays."""

from __future__ import annotations

import gzip
import json

import brotli
import pytest
from quart.typing import TestClientProtocol

from webapp.compression import choose_encoding


@pytest.mark.parametrize(
    ("accept", "encoding", "decode"),
    [("gzip, deflate, br", "br", brotli.decompress), ("gzip", "gzip", gzip.decompress)],
)
async def test_json_is_compressed_as_accepted(
    client: TestClientProtocol, season: int, accept: str, encoding: str, decode: object
) -> None:
    plain = await client.get("/api/v1/drivers")
    packed = await client.get("/api/v1/drivers", headers={"Accept-Encoding": accept})
    body = await packed.get_data()
    assert packed.headers["Content-Encoding"] == encoding
    assert "Accept-Encoding" in packed.headers["Vary"]
    assert int(packed.headers["Content-Length"]) == len(body) < len(await plain.get_data()) / 2
    assert json.loads(decode(body)) == await plain.get_json()  # type: ignore[operator]


async def test_pages_and_static_files_are_compressed(
    client: TestClientProtocol, season: int
) -> None:
    page = await client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.headers["Content-Encoding"] == "gzip"
    assert "Verstappen" in gzip.decompress(await page.get_data()).decode()
    css = await client.get("/static/css/app.css", headers={"Accept-Encoding": "br"})
    assert css.headers["Content-Encoding"] == "br"
    assert b"site-header" in brotli.decompress(await css.get_data())


async def test_no_compression_without_accept_encoding(
    client: TestClientProtocol, season: int
) -> None:
    response = await client.get("/api/v1/drivers")
    assert "Content-Encoding" not in response.headers
    assert "Accept-Encoding" in response.headers["Vary"]


async def test_small_answers_stay_plain(client: TestClientProtocol) -> None:
    response = await client.get("/health", headers={"Accept-Encoding": "br, gzip"})
    assert "Content-Encoding" not in response.headers
    assert await response.get_json() == {"status": "ok"}


async def test_compressed_static_file_still_revalidates(client: TestClientProtocol) -> None:
    first = await client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = await client.get(
        "/static/css/app.css", headers={"Accept-Encoding": "gzip", "If-None-Match": etag}
    )
    assert again.status_code == 304


def test_choose_encoding_follows_qualities() -> None:
    assert choose_encoding({"gzip": 1.0, "br": 1.0}) == "br"
    assert choose_encoding({"gzip": 1.0, "br": 0.5}) == "gzip"
    assert choose_encoding({"br": 0.0, "gzip": 0.0}) is None
    assert choose_encoding({"*": 0.8}) == "br"
    assert choose_encoding({"identity": 1.0}) is None
