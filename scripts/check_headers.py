"""Show every header of a page, an API answer and a websocket upgrade from a running server.

    python scripts/check_headers.py http://127.0.0.1:8000

Prints the headers of `GET /`, `GET /api/v1/drivers` and the `/ws` handshake, then checks
that each carries the security headers; exits 1 naming what is missing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from urllib.parse import urlsplit

import httpx
from websockets.asyncio.client import connect

REQUIRED = {
    "x-content-type-options": "nosniff",
    "x-frame-options": "DENY",
    "referrer-policy": "same-origin",
}
CSP_MUSTS = ("default-src 'self'", "frame-ancestors 'none'")


def problems(name: str, headers: dict[str, str], *, csp: bool) -> list[str]:
    """Return what a response's headers lack, as readable lines."""
    lower = {k.lower(): v for k, v in headers.items()}
    found = [
        f"{name}: {header} is {lower.get(header)!r}, want {value!r}"
        for header, value in REQUIRED.items()
        if lower.get(header) != value
    ]
    policy = lower.get("content-security-policy", "")
    if csp:
        found += [f"{name}: CSP lacks {must}" for must in CSP_MUSTS if must not in policy]
        found += [
            f"{name}: CSP allows inline code" for bad in ("'unsafe-inline'",) if bad in policy
        ]
    return found


def show(title: str, status: object, headers: dict[str, str]) -> None:
    """Print a response's status and headers."""
    print(f"\n== {title} -> {status}")
    for name, value in headers.items():
        print(f"{name}: {value}")


async def check(base: str) -> list[str]:
    """Fetch the three responses, print them and return the problems found."""
    found: list[str] = []
    async with httpx.AsyncClient(base_url=base, timeout=10.0) as client:
        for title, path in (("page GET /", "/"), ("API GET /api/v1/drivers", "/api/v1/drivers")):
            response = await client.get(path, headers={"Accept-Encoding": "br, gzip"})
            show(title, response.status_code, dict(response.headers))
            if response.status_code != 200:
                found.append(f"{title}: status {response.status_code}")
            found += problems(title, dict(response.headers), csp=True)
    parts = urlsplit(base)
    ws_url = f"{'wss' if parts.scheme == 'https' else 'ws'}://{parts.netloc}/ws?topics=leaderboard"
    async with connect(ws_url, origin=base.rstrip("/")) as socket:  # type: ignore[arg-type]
        assert socket.response is not None
        headers = dict(socket.response.headers.raw_items())
        show("websocket upgrade /ws", socket.response.status_code, headers)
        found += problems("websocket upgrade", headers, csp=False)
    return found


def main() -> None:
    """Parse the base URL, check, and exit 1 if anything is missing."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("base_url", nargs="?", default="http://127.0.0.1:8000")
    found = asyncio.run(check(parser.parse_args().base_url.rstrip("/")))
    print()
    if found:
        print("MISSING:\n" + "\n".join(found))
        sys.exit(1)
    print("every response carries the security headers")


if __name__ == "__main__":
    main()
