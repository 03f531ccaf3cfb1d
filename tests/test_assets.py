"""Static assets: content-hashed URLs cached for a year, plain paths revalidated."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from quart import Quart
from quart.typing import TestClientProtocol

from webapp.assets import IMMUTABLE, Manifest, hashed_name
from webapp.settings import ROOT


async def test_pages_link_hashed_assets_that_are_served_for_a_year(
    client: TestClientProtocol, season: int
) -> None:
    html = (await (await client.get("/")).get_data()).decode()
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', html)
    css = next(u for u in urls if u.endswith(".css"))
    digest = hashlib.sha256((ROOT / "static/css/app.css").read_bytes()).hexdigest()[:12]
    assert css == f"/static/css/app.{digest}.css"
    for url in urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert "Expires" not in response.headers


async def test_plain_paths_get_a_short_cache_and_an_etag(client: TestClientProtocol) -> None:
    response = await client.get("/static/css/app.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["ETag"]


async def test_an_unknown_hash_is_not_found(client: TestClientProtocol) -> None:
    assert (await client.get("/static/css/app.0123456789ab.css")).status_code == 404


def test_manifest_names_every_file(tmp_path: Path) -> None:
    (tmp_path / "js").mkdir()
    (tmp_path / "js" / "a.min.js").write_text("one")
    manifest = Manifest(tmp_path)
    digest = hashlib.sha256(b"one").hexdigest()[:12]
    assert manifest.url("js/a.min.js") == f"/static/js/a.min.{digest}.js"
    assert manifest.url("missing.css") == "/static/missing.css"
    assert hashed_name("css/app.css", "abc") == "css/app.abc.css"


def test_templates_use_static_url(app: Quart) -> None:
    base = (ROOT / "templates" / "base.html").read_text()
    assert "/static/" not in base and "url_for('static'" not in base
