"""Pages kept ready: whole anonymous pages for the edge, and shared parts per generation.

Two tiers, both in `webapp.cache`'s scheme:

- An anonymous reader's page, whole, with their CSRF token cut out (`READY_PAGES`): the
  edge (`webapp.ready`) answers the next anonymous readers of the same URL with it and a
  token of their own, for a second at most, renewed by one reader through the route.
- The costly shared part of a page (charts, score tables, what changed between two results
  versions…), rendered once per generation of what it shows and kept as stamped HTML in
  the Redis tier (`shared_html`), so a route pays only for the reader's own part around it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from hashlib import blake2b
from typing import Any

from markupsafe import Markup
from quart import Response, g, render_template, request, session

from webapp import cache
from webapp.auth.current import CSRF_KEY

# Anonymous readers' pages, by (path, query, fragment), with CSRF_SLOT for their token: a
# second at most (the layout's deadline, banners and feed line move), and dropped at once
# when this process bumps what any of them shows.
READY_PAGES = cache.Local(
    "ready-page",
    seconds=1,
    depends_on=[
        cache.Generation("board"),
        cache.Generation("league"),
        cache.RACES,
        cache.SEASONS,
        cache.DRIVERS,
    ],
    maxsize=512,
)
# The scope key where the edge notes `READY_PAGES.drops` as a request goes to its route.
READY_EPOCH = "paddock.ready_epoch"
# Jinja escapes `<` in anything it renders: these bytes can only be the slot.
CSRF_SLOT = b"<csrf-token>"
# Shared parts of pages, as HTML stamped by the generations of what they show.
PARTS = cache.Namespace("page-part", ttl=600)


def page_response(html: str) -> Response:
    """Answer with a page, or 304 when the browser holds these very bytes."""
    data = html.encode()
    etag = blake2b(data, digest_size=12).hexdigest()
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(data, content_type="text/html; charset=utf-8")
    response.set_etag(etag)
    response.vary.add("HX-Request")
    return response


def wants_fragment() -> bool:
    """Tell whether htmx asked for a piece of the page (not a boosted whole-page load)."""
    return bool(request.headers.get("HX-Request")) and not request.headers.get("HX-Boosted")


def remember_anonymous_page(html: str, *, fragment: bool) -> None:
    """Keep the page an anonymous reader got, their CSRF token taken out, for the edge."""
    # What varies between anonymous readers of the same URL is only the token: the edge
    # (webapp.ready) answers the next ones with this page and a token of their own.
    if g.get("current_user") is not None or set(session.keys()) - {CSRF_KEY}:
        return
    token = session.get(CSRF_KEY)
    page = html.encode()
    if token:
        page = page.replace(str(token).encode(), CSRF_SLOT)
    # A bump since the request began: what it read may be older than the bump. Kept as
    # already past its second, it is only the last copy readers get while it is renewed
    # (refusing it would leave every reader to the route while bumps keep coming).
    epoch = request.scope.get(READY_EPOCH)
    bumped = epoch is not None and epoch != READY_PAGES.drops
    READY_PAGES.put(
        (request.path, request.query_string, fragment), page, seconds=0 if bumped else None
    )


def anonymous_page(html: str) -> Response:
    """Answer with a page and keep it for the edge when the reader is anonymous."""
    remember_anonymous_page(html, fragment=wants_fragment())
    return page_response(html)


async def shared_html(
    key: cache.Key,
    gens: Sequence[cache.Generation],
    template: str,
    context: Callable[[], Awaitable[dict[str, Any]]],
) -> Markup:
    """Return a template's HTML kept for the current `gens`, rendering it once on a miss.

    `context` is read only on a miss. The template must show nothing of the reader (no
    token, no name): every reader of the page gets the same bytes.
    """

    async def render() -> bytes:
        html: str = await render_template(template, **await context())
        return html.encode()

    data = await cache.stamped(key=key, gens=gens, build=render)
    # Rendered by our templates, every value escaped by Jinja: safe as it stands.
    return Markup(data.decode())  # noqa: S704  # nosec B704
