"""The hottest reads answered from ready bytes at the ASGI edge, ahead of Quart's machinery.

A deadline or chequered-flag rush is thousands of the same few reads: `/health` from the
load balancers, the anonymous board pages of the API, and anonymous readers of the board
and statistics pages (kept whole by their routes, see `webapp.pagecache`). Their bodies
are ready bytes (`webapp.leaderboards.bodies`), so what Quart adds per request (request
context, hooks, session, response object) was most of their cost. This layer answers them
from the raw ASGI scope, byte for byte as the Quart routes do (tests compare the two),
inside `security.RequestEdge`, which still logs, counts and dresses every answer.

Whatever it is not sure of goes on to Quart unchanged: another method, a caller with a
credential (bearer token or session cookie), an `Origin` (CORS), a query it does not
recognise, or a body that is not ready (the full route builds it and tells errors apart).
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import re
from collections import OrderedDict
from collections.abc import AsyncGenerator
from hashlib import blake2b
from typing import Any

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope
from itsdangerous import BadSignature
from prometheus_client import Counter
from quart import Quart
from quart.sessions import SecureCookieSessionInterface
from werkzeug.http import dump_cookie, parse_accept_header, parse_cookie, parse_etags

from webapp import games
from webapp.auth.csrf import new_csrf_token
from webapp.auth.current import CSRF_KEY
from webapp.auth.ratelimit import API_COUNTED, client_address, counted
from webapp.compression import MIN_BYTES, choose_encoding, compress
from webapp.converters import MAX_ID
from webapp.leaderboards.bodies import Body, Wanted, ready_body
from webapp.leaderboards.routes import JSON_BOARD
from webapp.observability import exchange_var
from webapp.pagecache import CSRF_SLOT, READY_EPOCH, READY_PAGES
from webapp.schemas import MAX_LIMIT
from webapp.security import RequestEdge
from webapp.settings import Settings

log = logging.getLogger(__name__)
READY_READS = Counter(
    "paddock_ready_reads_total", "Reads answered from ready bytes ahead of Quart", ["route"]
)

HEALTH = b'{"status":"ok"}\n'
BOARD_RULE = "/api/v1/leaderboard"
LEAGUE_RULE = "/api/v1/leagues/<int:league_id>/leaderboard"
_LEAGUE_PATH = re.compile(r"/api/v1/leagues/([1-9][0-9]{0,9})/leaderboard")
# Queries made of these only: anything else (escapes, brackets…) is Quart's to read.
_PLAIN_QUERY = re.compile(rb"[A-Za-z0-9_=&\-]*")
_NUMBER = re.compile(r"[0-9]{1,10}")
_BOARD_ARGS = frozenset({"limit", "offset", "season", "race_id", "game"})
_LEAGUE_ARGS = frozenset({"limit", "offset", "race_id"})
# What the Quart answers carry before RequestEdge's headers (the session is looked at).
_VARY = (b"vary", b"Accept-Encoding, Cookie")
_JSON = (b"content-type", b"application/json")
_PRIVATE = (b"cache-control", b"private, no-cache")
# Quart's bare Response(status=304) is an empty HTML answer.
_NOT_MODIFIED_TYPE = (b"content-type", b"text/html; charset=utf-8")
_HTML = _NOT_MODIFIED_TYPE
_PAGE_VARY = (b"vary", b"HX-Request, Accept-Encoding, Cookie")
PAGE_RULE = "/leaderboard"
_ID = "[1-9][0-9]{0,9}"
# Pages an anonymous reader may get as the last one did (their route keeps them, see
# webapp.pagecache), with the route's rule each stands for in logs and metrics.
PAGE_RULES = [
    (re.compile(PAGE_RULE), PAGE_RULE),
    (re.compile(f"/teams/{_ID}"), "/teams/<int:team_id>"),
    (re.compile(f"/drivers/{_ID}"), "/drivers/<int:driver_id>"),
    (re.compile(f"/constructors/{_ID}"), "/constructors/<int:constructor_id>"),
    (re.compile(f"/leagues/{_ID}"), "/leagues/<int:league_id>"),
    (re.compile(f"/races/{_ID}/versions"), "/races/<int:race_id>/versions"),
    (re.compile("/players/[A-Za-z0-9_.-]{1,30}"), "/players/<username>"),
]
REFRESHING = "paddock.ready_page"
RENEWAL_WAIT = 2.0
# A renewal asks as a first-time reader: no session, no conditional request.
_NOT_RENEWED = frozenset({b"cookie", b"if-none-match", b"authorization"})
COMPRESSED_KEPT = 256

Answer = tuple[int, list[tuple[bytes, bytes]], bytes]


async def ask_app(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """Send one bodiless request through an ASGI app, as Hypercorn would; return what it sent."""
    sent: list[dict[str, Any]] = []
    done = asyncio.Event()
    asked = False

    async def receive() -> dict[str, Any]:
        # As Hypercorn: the request once, then a disconnect when the answer has gone.
        nonlocal asked
        if not asked:
            asked = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await done.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "http.response.body" and not message.get("more_body"):
            done.set()

    try:
        await app(scope, receive, send)
    finally:
        done.set()
    return sent


def _header(scope: HTTPScope, name: bytes) -> bytes | None:
    return next((value for key, value in scope["headers"] if key == name), None)


def _query(raw: bytes, allowed: frozenset[str]) -> dict[str, str] | None:
    """Return a plain query's arguments, or None when any is unknown, repeated or unusual."""
    if not raw:
        return {}
    if not _PLAIN_QUERY.fullmatch(raw):
        return None
    args: dict[str, str] = {}
    for pair in raw.decode("ascii").split("&"):
        name, sep, value = pair.partition("=")
        if not sep or name not in allowed or name in args:
            return None
        args[name] = value
    return args


class _NotANumber(Exception):
    """An argument the route's validation must answer for."""


def _number(value: str | None, *, low: int, high: int = MAX_ID) -> int | None:
    """Return an argument as a number in [low, high], or None when absent."""
    if value is None:
        return None
    if not _NUMBER.fullmatch(value) or not low <= int(value) <= high:
        raise _NotANumber(value)
    return int(value)


def _wanted(args: dict[str, str], league_id: int | None) -> Wanted | None:
    """Return the page a query asks for, or None when only the route's validation may say."""
    game = args.get("game", games.DEFAULT_GAME)
    try:
        limit = _number(args.get("limit"), low=1)
        offset = _number(args.get("offset"), low=0)
        season = _number(args.get("season"), low=0)
        race_id = _number(args.get("race_id"), low=0)
    except _NotANumber:
        return None
    if len(game) > 40:
        return None
    return Wanted(
        season=season,
        race_id=race_id,
        league_id=league_id,
        offset=offset or 0,
        limit=min(50 if limit is None else limit, MAX_LIMIT),
        game=game,
    )


class ReadyReads:
    """ASGI layer answering `/health` and anonymous cached API boards without Quart."""

    def __init__(
        self, app: Any, *, settings: Settings, session_cookie: str, sessions: CookieSessions
    ) -> None:
        self.app = app
        self.settings = settings
        self.enabled = True
        self.session_cookie = session_cookie.encode() + b"="
        self.sessions = sessions
        # Ready pages a reader is renewing through the route right now, set when done.
        self.refreshing: dict[object, asyncio.Event] = {}
        # How long the readers of a page a bump dropped wait for its renewal at most.
        self.renewal_wait = RENEWAL_WAIT
        # Renewals under way in the background (held: the loop keeps only weak references).
        self.renewals: set[asyncio.Task[None]] = set()
        # Compressed bodies, by (entity tag, encoding): compressed once, not per reader.
        self.compressed: OrderedDict[tuple[str, str], bytes] = OrderedDict()

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """Answer a hot read from ready bytes, or pass the exchange on to Quart."""
        if self.enabled and scope["type"] == "http" and scope["method"] == "GET":
            answer = await self._answer(scope)
            if answer is not None:
                status, headers, body = answer
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
        if scope["type"] == "http":
            scope[READY_EPOCH] = READY_PAGES.drops  # type: ignore[literal-required]
        try:
            await self.app(scope, receive, send)
        finally:
            if (refreshed := scope.get(REFRESHING)) is not None:
                renewed = self.refreshing.pop(refreshed, None)
                if renewed is not None:
                    renewed.set()

    async def _answer(self, scope: HTTPScope) -> Answer | None:
        path = scope["path"]
        if path == "/health":
            if scope["query_string"] or _header(scope, b"origin"):
                return None
            self._route("/health")
            headers = [_JSON, (b"content-length", str(len(HEALTH)).encode()), _VARY]
            return 200, headers, HEALTH
        for pattern, rule in PAGE_RULES:
            if pattern.fullmatch(path):
                return await self._page(scope, rule)
        if path == BOARD_RULE:
            return await self._board(scope, league_id=None)
        if path.startswith("/api/v1/leagues/") and (found := _LEAGUE_PATH.fullmatch(path)):
            league_id = int(found.group(1))
            return await self._board(scope, league_id=league_id) if league_id <= MAX_ID else None
        return None

    def _anonymous(self, scope: HTTPScope) -> bool:
        """Tell whether the caller shows no credential and no Origin (CORS is Quart's)."""
        if _header(scope, b"authorization") is not None or _header(scope, b"origin"):
            return False
        cookies = [value for key, value in scope["headers"] if key == b"cookie"]
        return not any(self.session_cookie in value for value in cookies)

    async def _board(self, scope: HTTPScope, *, league_id: int | None) -> Answer | None:
        if not self._anonymous(scope):
            return None
        args = _query(scope["query_string"], _LEAGUE_ARGS if league_id else _BOARD_ARGS)
        wanted = _wanted(args, league_id) if args is not None else None
        if wanted is None:
            return None
        client = scope.get("client")
        forwarded = _header(scope, b"x-forwarded-for")
        ip = client_address(
            peer=client[0] if client else "<local>",
            forwarded_for=forwarded.decode("latin-1") if forwarded is not None else None,
            trusted=self.settings.trusted_proxies,
        )
        try:
            body, retry_ms = await ready_body(
                JSON_BOARD,
                wanted,
                user_id=None,
                configured_season=self.settings.current_season(),
                count=counted(keys=[f"api:ip:{ip}"], rate=self.settings.rate_limit_api),
            )
        except Exception:
            # Quart's route answers as it would have (its own error handling included).
            log.warning("ready board lookup failed", exc_info=True)
            return None
        if retry_ms:
            return None  # over the limit: the route counts again and answers 429
        if body is None:
            # Counted already: the route must not count this request a second time.
            scope[API_COUNTED] = True  # type: ignore[literal-required]
            return None
        self._route(LEAGUE_RULE if league_id else BOARD_RULE)
        return self._send_body(scope, body)

    async def _page(self, scope: HTTPScope, rule: str) -> Answer | None:
        """Answer an anonymous reader with the page the last one got, and their own token."""
        if _header(scope, b"origin") or _header(scope, b"authorization") is not None:
            return None
        boosted = _header(scope, b"hx-boosted")
        fragment = bool(_header(scope, b"hx-request")) and not boosted
        anonymous, held = self.sessions.token(scope)
        if not anonymous:
            return None  # signed in, or more in the session than a token: the route's
        key = (scope["path"], scope["query_string"], fragment)
        page = READY_PAGES.get(key)
        if page is None:
            page = READY_PAGES.get_stale(key)
            renewal = self.refreshing.get(key)
            if page is not None:
                # Past its second: renewed once, in the background, while every reader
                # gets the last copy (no bump has dropped it) without waiting on the route.
                if renewal is None:
                    self._renew(scope, key)
            elif renewal is not None:
                # A bump dropped the last copy while it is being renewed: wait for the new
                # one (the route renders it once, not once per reader).
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(renewal.wait(), self.renewal_wait)
                page = READY_PAGES.get_stale(key)
        if page is None:
            if key not in self.refreshing:
                self.refreshing[key] = asyncio.Event()
                scope[REFRESHING] = key  # type: ignore[literal-required]
            return None
        cookie = None
        if CSRF_SLOT in page:
            token = held or self.sessions.new_token()
            page = page.replace(CSRF_SLOT, token.encode())
            if not held:
                cookie = self.sessions.cookie({CSRF_KEY: token})
        self._route(rule)
        return _send_page(scope, page, cookie)

    def _renew(self, scope: HTTPScope, key: object) -> None:
        """Ask the route for a page again, as a reader without a cookie would, and keep it."""
        self.refreshing[key] = asyncio.Event()
        headers = [(k, v) for k, v in scope["headers"] if k not in _NOT_RENEWED]
        asked = {**scope, "headers": headers, READY_EPOCH: READY_PAGES.drops}
        # A context of its own: not this reader's exchange, so not in the access log.
        task = asyncio.create_task(self._renewal(asked, key), context=contextvars.Context())
        self.renewals.add(task)
        task.add_done_callback(self.renewals.discard)

    async def _renewal(self, scope: dict[str, Any], key: object) -> None:
        try:
            await ask_app(self.app, scope)  # the route keeps the page it renders
        except Exception:
            log.warning("ready page not renewed", exc_info=True)
        finally:
            renewed = self.refreshing.pop(key, None)
            if renewed is not None:
                renewed.set()

    def _route(self, rule: str) -> None:
        """Name the route answered, for the access log and metrics as Quart's rule would."""
        READY_READS.labels(rule).inc()
        exchange = exchange_var.get()
        if exchange is not None:
            exchange.route = rule

    def _send_body(self, scope: HTTPScope, body: Body) -> Answer:
        """Answer as `leaderboards.routes.send` and the compression hook do."""
        tag = body.etag.encode()
        asked = _header(scope, b"if-none-match")
        if asked is not None and parse_etags(asked.decode("latin-1")).contains_weak(body.etag):
            headers = [_NOT_MODIFIED_TYPE, (b"etag", b'"' + tag + b'"'), _PRIVATE, _VARY]
            return 304, headers, b""
        data, encoding = body.data, None
        accepts = _header(scope, b"accept-encoding")
        if accepts and len(data) >= MIN_BYTES:
            qualities = parse_accept_header(accepts.decode("latin-1"))
            encoding = choose_encoding({value.lower(): q for value, q in qualities})
        if encoding is None:
            headers = [_JSON, (b"content-length", str(len(data)).encode())]
            return 200, [*headers, (b"etag", b'"' + tag + b'"'), _PRIVATE, _VARY], data
        data = self._compressed(body, encoding)
        headers = [_JSON, (b"content-length", str(len(data)).encode())]
        headers += [(b"etag", b'W/"' + tag + b'"'), _PRIVATE, _VARY]
        return 200, [*headers, (b"content-encoding", encoding.encode())], data

    def _compressed(self, body: Body, encoding: str) -> bytes:
        key = (body.etag, encoding)
        data = self.compressed.get(key)
        if data is None:
            data = self.compressed[key] = compress(body.data, encoding)
            while len(self.compressed) > COMPRESSED_KEPT:
                self.compressed.popitem(last=False)
        return data


def _send_page(scope: HTTPScope, page: bytes, cookie: bytes | None) -> Answer:
    """Answer as `leaderboards.pages.page_response`, the compression hook and the session do."""
    etag = blake2b(page, digest_size=12).hexdigest()
    tail = [(b"set-cookie", cookie)] if cookie is not None else []
    asked = _header(scope, b"if-none-match")
    if asked is not None and parse_etags(asked.decode("latin-1")).contains_weak(etag):
        headers = [_NOT_MODIFIED_TYPE, (b"etag", b'"' + etag.encode() + b'"'), _PAGE_VARY]
        return 304, [*headers, *tail], b""
    encoding = None
    accepts = _header(scope, b"accept-encoding")
    if accepts and len(page) >= MIN_BYTES:
        qualities = parse_accept_header(accepts.decode("latin-1"))
        encoding = choose_encoding({value.lower(): q for value, q in qualities})
    if encoding is None:
        headers = [_HTML, (b"content-length", str(len(page)).encode())]
        headers += [(b"etag", b'"' + etag.encode() + b'"'), _PAGE_VARY]
        return 200, [*headers, *tail], page
    data = compress(page, encoding)
    headers = [_HTML, (b"content-length", str(len(data)).encode())]
    headers += [(b"etag", b'W/"' + etag.encode() + b'"'), _PAGE_VARY]
    return 200, [*headers, (b"content-encoding", encoding.encode()), *tail], data


class CookieSessions:
    """Quart's signed session cookie, read and written as the app's session interface does."""

    def __init__(self, app: Quart) -> None:
        interface = app.session_interface
        if not isinstance(interface, SecureCookieSessionInterface):
            raise RuntimeError("the ready pages know Quart's signed cookie sessions only")
        self.name = interface.get_cookie_name(app)
        self.signer = interface.get_signing_serializer(app)
        self.max_age = int(app.permanent_session_lifetime.total_seconds())
        self.options: dict[str, Any] = {
            "domain": interface.get_cookie_domain(app),
            "path": interface.get_cookie_path(app),
            "secure": interface.get_cookie_secure(app),
            "httponly": interface.get_cookie_httponly(app),
            "samesite": interface.get_cookie_samesite(app),
            "partitioned": interface.get_cookie_partitioned(app),
            "max_size": app.config["MAX_COOKIE_SIZE"],
        }

    def token(self, scope: HTTPScope) -> tuple[bool, str | None]:
        """Return (whether the session holds at most a CSRF token, that token if any).

        A session holding more (a signed-in reader) is not for the edge to answer.
        """
        if self.signer is None:
            return False, None
        raw = [value for key, value in scope["headers"] if key == b"cookie"]
        value = parse_cookie(b"; ".join(raw).decode("latin-1")).get(self.name) if raw else None
        if value is None:
            return True, None
        try:
            data = self.signer.loads(value, max_age=self.max_age)
        except BadSignature:
            return True, None  # Quart starts an empty session for it too
        if not isinstance(data, dict) or set(data) - {CSRF_KEY}:
            return False, None
        token = data.get(CSRF_KEY)
        return True, str(token) if token else None

    def new_token(self) -> str:
        """Return a new CSRF token, as `auth.csrf.csrf_token` makes them."""
        return new_csrf_token()

    def cookie(self, data: dict[str, str]) -> bytes:
        """Return the Set-Cookie value carrying a new, not permanent session of `data`."""
        assert self.signer is not None
        value = self.signer.dumps(data)
        return dump_cookie(self.name, value, **self.options).encode("latin-1")


def init_ready_reads(app: Quart) -> ReadyReads:
    """Put the ready reads between the edge wrapper (logs, metrics, headers) and Quart."""
    edge = app.asgi_app
    if not isinstance(edge, RequestEdge):
        raise RuntimeError("init_security must wrap the app first")
    ready = ReadyReads(
        edge.app,
        settings=app.config["SETTINGS"],
        session_cookie=app.config["SESSION_COOKIE_NAME"],
        sessions=CookieSessions(app),
    )
    edge.app = ready
    app.extensions["ready_reads"] = ready

    @app.while_serving
    async def _renewals() -> AsyncGenerator[None]:
        yield
        # Before the after_serving hooks close the database: a renewal still reading is
        # abandoned, not left to fail on a closed pool.
        for task in list(ready.renewals):
            task.cancel()
        await asyncio.gather(*ready.renewals, return_exceptions=True)

    return ready
