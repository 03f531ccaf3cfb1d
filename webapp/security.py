"""Security headers, HTTPS enforcement behind trusted proxies, CORS and request body limits."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any, cast

from hypercorn.typing import ASGIReceiveCallable, ASGISendCallable, HTTPScope, Scope
from quart import Quart, Response, current_app, request, websocket
from quart.typing import WebsocketCallable
from quart_cors import cors, cors_exempt
from werkzeug.sansio.utils import get_host

from webapp.auth.ratelimit import is_trusted_proxy
from webapp.errors import AppError
from webapp.observability import begin_exchange, end_exchange
from webapp.responses import redirect_to
from webapp.settings import Settings

MAX_JSON_DEPTH = 32
HSTS = "max-age=63072000; includeSubDomains"
# Load balancers probe these over plain HTTP, straight to the process.
PLAIN_HTTP_PATHS = frozenset({"/health", "/ready", "/metrics"})
DOCS_PATH = "/docs"
# quart-schema's Swagger UI page loads its script and style from this CDN.
DOCS_CDN = "https://cdnjs.cloudflare.com"
CORS_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"]
CORS_EXPOSED = ["Retry-After", "X-Request-ID"]

_HOST = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_BRACKET = re.compile(rb"[\[\]{}]")
_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.S)


def static_headers(settings: Settings) -> dict[str, str]:
    """Return the headers every response carries, whatever its path."""
    headers = {
        "X-Content-Type-Options": "nosniff",
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cross-Origin-Opener-Policy": "same-origin",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }
    if settings.force_https:
        headers["Strict-Transport-Security"] = HSTS
    return headers


def content_security_policy(
    *, host: str | None, https_only: bool, scripts: Iterable[str] = (), cdn: str | None = None
) -> str:
    """Return the CSP: our own files only, no inline script or style, sockets to this host."""
    connect = ["'self'"]
    if host and _HOST.match(host):
        connect += [f"wss://{host}"] if https_only else [f"ws://{host}", f"wss://{host}"]
    script = ["'self'", *([cdn] if cdn else []), *scripts]
    style = ["'self'", *([cdn] if cdn else [])]
    directives = {
        "default-src": ["'self'"],
        "script-src": script,
        "style-src": style,
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": connect,
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{name} {' '.join(values)}" for name, values in directives.items())


def inline_script_hashes(html: str) -> list[str]:
    """Return CSP hash sources for the inline scripts of a page we do not write ourselves."""
    return [
        "'sha256-{}'".format(
            base64.b64encode(hashlib.sha256(body.encode()).digest()).decode("ascii")
        )
        for body in _INLINE_SCRIPT.findall(html)
    ]


def json_too_deep(body: bytes, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """Tell whether arrays and objects nest deeper than `limit` in a JSON text, unparsed."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for match in _BRACKET.finditer(_JSON_STRING.sub(b'""', body)):
        depth += 1 if match.group() in (b"[", b"{") else -1
        if depth > limit:
            return True
    return False


def forwarded_secure(
    *, scheme: str, peer: str | None, forwarded_proto: str | None, trusted: list[str]
) -> bool:
    """Tell whether the client used TLS, believing `X-Forwarded-Proto` only from our proxies."""
    if scheme in ("https", "wss"):
        return True
    if forwarded_proto and is_trusted_proxy(peer, trusted):
        # The nearest proxy's word counts: a proxy that appends puts its own value last.
        return forwarded_proto.split(",")[-1].strip().lower() in ("https", "wss")
    return False


@lru_cache(maxsize=256)
def _policy(host: str | None, https_only: bool) -> bytes:
    """Return the CSP of a page on `host`, built once per host."""
    return content_security_policy(host=host, https_only=https_only).encode()


def _header(headers: Iterable[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    return next((value for key, value in headers if key == name), None)


class RequestEdge:
    """ASGI wrapper around every exchange: request id, access log and metrics, headers.

    Working on the raw ASGI messages costs a fraction of what the same steps cost as
    Quart hooks, and it sees every answer, redirects and error pages included.
    """

    def __init__(self, app: Any, *, headers: dict[str, str], https_only: bool, static: str) -> None:
        self.app = app
        self.headers = [(k.lower().encode(), v.encode()) for k, v in headers.items()]
        # Ours replace a view's own; the request id is always the one of this exchange.
        self.replaced = frozenset(name for name, _ in self.headers) | {b"x-request-id"}
        self.https_only = https_only
        self.static = static.rstrip("/") + "/"

    async def __call__(
        self, scope: Scope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        """Time, log and dress HTTP answers; add the headers to a websocket's answer."""
        if scope["type"] == "http":
            await self._http(scope, receive, send)
        elif scope["type"] == "websocket":
            await self.app(scope, receive, self._websocket_send(send))
        else:
            await self.app(scope, receive, send)

    async def _http(
        self, scope: HTTPScope, receive: ASGIReceiveCallable, send: ASGISendCallable
    ) -> None:
        asked = scope["headers"]
        exchange = begin_exchange(
            method=scope["method"],
            path=scope["path"],
            request_id=_header(asked, b"x-request-id"),
        )
        host = _header(asked, b"host")
        server = scope.get("server")
        name = get_host(
            scope["scheme"],
            host.decode("latin-1") if host is not None else None,
            (server[0], server[1]) if server else None,
        )
        # Without an Origin the CORS answer is only this; with one, quart-cors decides.
        no_origin = not _header(asked, b"origin")
        # API answers may carry tokens or private data; pages carry the user's name and CSRF token.
        default_cache = (
            None
            if scope["path"].startswith(self.static)
            else b"no-store"
            if scope["path"].startswith("/api/")
            else b"private, no-cache"
        )
        status = 0
        rid = exchange.request_id.encode()

        async def dressed_send(message: Any) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                given = message.get("headers") or []
                out = [(k, v) for k, v in given if k not in self.replaced]
                out += self.headers
                out.append((b"x-request-id", rid))
                present = {k for k, _ in out}
                if b"content-security-policy" not in present:
                    out.append((b"content-security-policy", _policy(name, self.https_only)))
                if default_cache is not None and b"cache-control" not in present:
                    out.append((b"cache-control", default_cache))
                if no_origin:
                    out = _vary_on(out, b"Origin")
                message = {**message, "headers": out}
            await send(message)

        try:
            await self.app(scope, receive, dressed_send)
        finally:
            if status:
                end_exchange(exchange, status=status)

    def _websocket_send(self, send: ASGISendCallable) -> ASGISendCallable:
        async def send_with_headers(message: Any) -> None:
            if message["type"] in ("websocket.accept", "websocket.http.response.start"):
                present = {name.lower() for name, _ in message.get("headers") or []}
                extra = [(k, v) for k, v in self.headers if k not in present]
                message = {**message, "headers": [*(message.get("headers") or []), *extra]}
            await send(message)

        return send_with_headers


def _vary_on(headers: list[tuple[bytes, bytes]], name: bytes) -> list[tuple[bytes, bytes]]:
    """Return the headers with `name` in Vary, added to the one there or as a new one."""
    for n, (key, value) in enumerate(headers):
        if key == b"vary":
            if name.lower() in (part.strip().lower() for part in value.split(b",")):
                return headers
            headers[n] = (key, value + b", " + name)
            return headers
    headers.append((b"vary", name))
    return headers


def _settings() -> Settings:
    settings: Settings = current_app.config["SETTINGS"]
    return settings


async def redirect_to_https() -> Response | None:
    """Send a plain-HTTP request to its HTTPS address when FORCE_HTTPS is on."""
    settings = _settings()
    if not settings.force_https or request.path in PLAIN_HTTP_PATHS:
        return None
    if forwarded_secure(
        scheme=request.scheme,
        peer=request.remote_addr,
        forwarded_proto=request.headers.get("X-Forwarded-Proto"),
        trusted=settings.trusted_proxies,
    ):
        return None
    target = f"https://{request.host}{request.full_path.rstrip('?')}"
    # 308 keeps the method and body of a POST; GET and HEAD get the familiar 301.
    return redirect_to(target, 301 if request.method in ("GET", "HEAD") else 308)


async def check_json_body() -> None:
    """Refuse a JSON body that is not UTF-8 (400) or nests too deep (413), before parsing."""
    if request.method in ("GET", "HEAD", "OPTIONS") or not request.is_json:
        return
    # Reading the body enforces MAX_CONTENT_LENGTH (413) too; the parsed JSON reuses it.
    body = await request.get_data(cache=True, as_text=False)
    raw = body if isinstance(body, bytes) else body.encode()
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError:
        raise AppError(
            "bad_request", "Request body is not valid JSON (not UTF-8)", status=400
        ) from None
    if json_too_deep(raw):
        raise AppError(
            "payload_too_large",
            f"JSON body nests deeper than {MAX_JSON_DEPTH} levels",
            status=413,
            details={"max_depth": MAX_JSON_DEPTH},
        )


async def refuse_plain_websocket() -> Response | None:
    """Refuse a websocket over plain HTTP when FORCE_HTTPS is on (it cannot be redirected)."""
    settings = _settings()
    if not settings.force_https or forwarded_secure(
        scheme=websocket.scheme,
        peer=websocket.remote_addr,
        forwarded_proto=websocket.headers.get("X-Forwarded-Proto"),
        trusted=settings.trusted_proxies,
    ):
        return None
    return Response("Use wss://", status=403)


def init_security(app: Quart) -> None:
    """Install headers, HTTPS enforcement, CORS and body limits, ahead of the features' hooks."""
    settings: Settings = app.config["SETTINGS"]
    headers = static_headers(settings)
    app.extensions["security_headers"] = headers
    app.before_request(redirect_to_https)
    app.before_request(check_json_body)
    app.before_websocket(refuse_plain_websocket)

    @app.after_request
    async def _docs_policy(response: Response) -> Response:
        if request.path == DOCS_PATH and response.mimetype == "text/html":
            # Swagger UI is quart-schema's page: allow its CDN and its inline script by hash.
            html = await response.get_data(as_text=True)
            response.headers["Content-Security-Policy"] = content_security_policy(
                host=request.host,
                https_only=settings.force_https,
                scripts=inline_script_hashes(html),
                cdn=DOCS_CDN,
            )
        return response

    cors(
        app,
        allow_origin=[origin.rstrip("/") for origin in settings.cors_origins],
        allow_credentials=False,
        allow_headers=CORS_HEADERS,
        allow_methods=["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        expose_headers=CORS_EXPOSED,
        max_age=600,
    )
    # quart-cors's hook re-reads its options on every answer: run it only when an Origin
    # came, since without one all it does is add `Vary: Origin`, which RequestEdge does.
    cors_hook = app.after_request_funcs[None].pop()

    @app.after_request
    async def _cors(response: Response) -> Response:
        if not request.headers.get("Origin"):
            return response
        answer: Response = await cors_hook(response)
        return answer

    @app.before_serving
    async def _exempt_websockets() -> None:
        # Websockets check their Origin themselves: this site, or one of CORS_ORIGINS.
        for rule in app.url_map.iter_rules():
            if rule.websocket:
                # Flask's typing knows only HTTP views; this rule's view is a websocket's.
                cors_exempt(cast(WebsocketCallable, app.view_functions[rule.endpoint]))

    app.asgi_app = RequestEdge(  # type: ignore[method-assign]
        app.asgi_app,
        headers=headers,
        https_only=settings.force_https,
        static=app.static_url_path or "/static",
    )
