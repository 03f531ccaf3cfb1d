"""Posting a form as a browser without JavaScript, or htmx, does: for the market page tests."""

from __future__ import annotations

from urllib.parse import urlencode

from quart.typing import TestClientProtocol


async def post_form(
    client: TestClientProtocol, url: str, pairs: list[tuple[str, str]], *, htmx: bool = False
) -> tuple[int, str]:
    """Post `pairs` form-encoded to `url`; return the status and the body as text."""
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    if htmx:
        headers["HX-Request"] = "true"
    response = await client.post(url, data=urlencode(pairs), headers=headers)
    return response.status_code, (await response.get_data()).decode()
