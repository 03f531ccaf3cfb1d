"""The application factory: one readable list of what the app is made of."""

from __future__ import annotations

import asyncio
from pathlib import Path

from flask.templating import _default_template_ctx_processor as flask_default_processor
from quart import Quart
from quart_schema import Info, QuartSchema

from webapp import db, gameclock
from webapp.assets import init_assets
from webapp.auth.passwords import configure_hashing
from webapp.boot import join_replay, start_following, stop_following
from webapp.compression import init_compression
from webapp.converters import DbIdConverter
from webapp.error_handlers import register_error_handlers
from webapp.inputs import init_inputs
from webapp.observability import configure_logging, init_observability, init_sentry
from webapp.ready import init_ready_reads
from webapp.redis import close_redis, init_redis
from webapp.replay.company import generate_company
from webapp.schemas import iso_z
from webapp.security import init_security
from webapp.settings import Settings, get_settings

ROOT = Path(__file__).resolve().parent.parent


def drop_flask_context_processors(app: Quart) -> None:
    """Remove the sync context processor Flask gives every blueprint: empty under Quart."""
    # It reads Flask's own context variables, which Quart never sets, so it always returns
    # {}; Quart still runs it in a worker thread for every template rendered.
    for name, processors in app.template_context_processors.items():
        if name is not None:
            processors[:] = [p for p in processors if p is not flask_default_processor]


def create_app(settings: Settings | None = None) -> Quart:
    """Build the Quart app for `settings` (the environment's by default)."""
    settings = settings or get_settings()
    app = Quart(
        __name__,
        template_folder=str(ROOT / "templates"),
        static_folder=str(ROOT / "static"),
        static_url_path="/static",
    )
    app.config["SETTINGS"] = settings
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["SECRET_KEY"] = settings.signing_key()
    configure_hashing(cheap=settings.environment == "test")
    app.jinja_env.filters["iso_z"] = iso_z
    app.url_map.converters["int"] = DbIdConverter
    if settings.environment != "test":
        configure_logging(settings.log_level)
    init_sentry(settings, component="web")
    # Compression is the first after_request hook registered, so it runs after all others.
    init_compression(app)

    QuartSchema(
        app,
        openapi_path="/openapi.json",
        swagger_ui_path="/docs",
        redoc_ui_path=None,
        scalar_ui_path=None,
        info=Info(title="Paddock API", version="1"),
        security_schemes={"bearer": {"type": "http", "scheme": "bearer"}},
    )
    init_observability(app)
    # Before the feature hooks: plain HTTP is redirected before limits or CSRF look at it.
    init_security(app)
    register_error_handlers(app)

    from webapp.admin.routes import api as admin_api
    from webapp.auth import init_auth
    from webapp.auth.pages import pages as auth_pages
    from webapp.auth.routes import api as auth_api
    from webapp.catalogue.routes import api as catalogue_api
    from webapp.games.pages import pages as games_pages
    from webapp.games.routes import api as games_api
    from webapp.home import pages as home_pages
    from webapp.leaderboards.pages import pages as leaderboards_pages
    from webapp.leaderboards.routes import api as leaderboards_api
    from webapp.leagues.pages import pages as leagues_pages
    from webapp.leagues.routes import api as leagues_api
    from webapp.live.routes import init_live
    from webapp.notifications.routes import api as notifications_api
    from webapp.notifications.routes import pages as notifications_pages
    from webapp.ops.routes import blueprint as ops
    from webapp.phone import phone
    from webapp.profiles.routes import api as profiles_api
    from webapp.profiles.routes import pages as profiles_pages
    from webapp.replay.pages import pages as replay_pages
    from webapp.replay.routes import PREFIX as REPLAY_FEED
    from webapp.replay.routes import feed as replay_feed
    from webapp.results.pages import pages as results_pages
    from webapp.results.routes import admin_api as results_admin_api
    from webapp.results.routes import api as results_api
    from webapp.scoring.routes import api as scoring_api
    from webapp.scoring.routes import pages as scoring_pages
    from webapp.stats.pages import pages as stats_pages
    from webapp.stats.routes import api as stats_api
    from webapp.teams.pages import pages as teams_pages
    from webapp.teams.routes import api as teams_api

    init_auth(app)
    init_inputs(app)
    app.register_blueprint(ops)
    app.register_blueprint(auth_api, url_prefix="/api/v1")
    app.register_blueprint(auth_pages)
    app.register_blueprint(catalogue_api, url_prefix="/api/v1")
    app.register_blueprint(games_api, url_prefix="/api/v1")
    app.register_blueprint(games_pages)
    app.register_blueprint(home_pages)
    app.register_blueprint(phone)
    app.register_blueprint(teams_api, url_prefix="/api/v1")
    app.register_blueprint(teams_pages)
    app.register_blueprint(leagues_api, url_prefix="/api/v1")
    app.register_blueprint(leagues_pages)
    app.register_blueprint(admin_api, url_prefix="/api/v1")
    app.register_blueprint(results_api, url_prefix="/api/v1")
    app.register_blueprint(results_admin_api, url_prefix="/api/v1")
    app.register_blueprint(results_pages)
    app.register_blueprint(replay_pages)
    app.register_blueprint(notifications_api, url_prefix="/api/v1")
    app.register_blueprint(notifications_pages)
    app.register_blueprint(scoring_api, url_prefix="/api/v1")
    app.register_blueprint(scoring_pages)
    app.register_blueprint(stats_api, url_prefix="/api/v1")
    app.register_blueprint(stats_pages)
    app.register_blueprint(profiles_api, url_prefix="/api/v1")
    app.register_blueprint(profiles_pages)
    app.register_blueprint(leaderboards_api, url_prefix="/api/v1")
    app.register_blueprint(leaderboards_pages)
    app.register_blueprint(replay_feed, url_prefix=REPLAY_FEED)
    init_live(app)
    init_assets(app)
    drop_flask_context_processors(app)
    # Last: it needs the session cookie's name and the edge wrapper to sit inside.
    init_ready_reads(app)

    owned: dict[str, bool] = {}
    following: list[asyncio.Task[None] | None] = []

    @app.before_serving
    async def _connect() -> None:
        if not settings.redis_url:
            raise RuntimeError("REDIS_URL is not set: run `paddock dev` or set it")
        # Tests and workers may have opened these already; close only what we opened.
        owned["db"] = await db.init_db(settings)
        owned["redis"] = await init_redis(settings.redis_url)
        replay = await join_replay(settings=settings, now=gameclock.system_now())
        if replay is not None:
            # The replayed season opens with company on its boards: made once, then found.
            await generate_company(season=replay.season_id)
        following.append(start_following(replay))

    @app.after_serving
    async def _disconnect() -> None:
        while following:
            await stop_following(following.pop())
        if owned.get("redis"):
            await close_redis()
        if owned.get("db"):
            await db.close_db()

    return app
