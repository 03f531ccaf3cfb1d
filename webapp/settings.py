"""One typed settings object, read from the environment and `.env`."""

from __future__ import annotations

import base64
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
RATE_RE = re.compile(r"^\s*(\d+)\s*/\s*(second|minute|hour)\s*$")
PERIODS = {"second": 1, "minute": 60, "hour": 3600}
REQUIRED_IN_PRODUCTION = ("secret_key", "database_url", "redis_url")


class SettingsError(Exception):
    """Raised when the configuration cannot work; the message is one line."""


def parse_rate(value: str) -> tuple[int, int]:
    """Return (count, period in seconds) for a limit written like `10/minute`."""
    match = RATE_RE.match(value)
    if not match:
        raise ValueError(f"rate limit {value!r} is not N/second, N/minute or N/hour")
    return int(match.group(1)), PERIODS[match.group(2)]


MAX_TEAMS_PER_SEASON = 3


class Settings(BaseSettings):
    """Every setting of `api.md`, plus a few operational knobs."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    environment: Literal["development", "test", "production"] = "development"
    database_url: str | None = None
    redis_url: str | None = None
    secret_key: str | None = None
    port: int = 8000
    season: int | None = None
    # Replay mode: re-run this bundled season on an accelerated clock (docs/jobs.md);
    # it is then the current season, whatever SEASON says.
    replay: int | None = None
    replay_minutes_per_race: Annotated[float, Field(gt=0, allow_inf_nan=False)] = 10.0
    results_api_url: str = "https://api.jolpi.ca/ergast/f1"
    access_token_expire_minutes: int = 30
    refresh_token_expire_days: int = 30
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)
    force_https: bool = False
    sentry_dsn: str | None = None
    rate_limit_login: str = "10/minute"
    rate_limit_register: str = "20/hour"
    rate_limit_api: str = "600/minute"
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)

    data_dir: Path = ROOT / ".paddock"
    db_pool_min: int = 1
    db_pool_max: int = 10
    max_teams_per_season: int = MAX_TEAMS_PER_SEASON
    verify_offsets_hours: Annotated[list[float], NoDecode] = Field(
        default_factory=lambda: [2.0, 24.0, 72.0, 168.0]
    )
    log_level: str = "INFO"
    max_body_bytes: int = 1_000_000
    # Results feed client: the feed's own limits are 4 req/s and 500 req/hour.
    feed_timeout_seconds: float = 10.0
    feed_max_attempts: int = 4
    feed_rate_per_second: int = 4
    feed_rate_per_hour: int = 500
    feed_max_wait_seconds: float = 60.0
    # A task unacknowledged this long (its worker died) is delivered to another worker.
    task_idle_timeout_ms: int = 5 * 60 * 1000
    worker_metrics_port: int | None = None
    # permessage-deflate on /ws: it saves bytes but costs the server a compression per socket
    # per message, the largest part of a fan-out to thousands of sockets (docs/live.md).
    ws_compression: bool = False
    # Web Push (docs/deployment.md): the VAPID private key, base64url (raw 32 bytes or DER);
    # development generates one into the data folder, production without one pushes nothing.
    vapid_private_key: str | None = None
    vapid_subject: str = "mailto:admin@localhost"

    @field_validator("cors_origins", "trusted_proxies", mode="before")
    @classmethod
    def _split_list(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("vapid_subject")
    @classmethod
    def _check_subject(cls, value: str) -> str:
        if not value.startswith(("mailto:", "https://")):
            raise ValueError("VAPID_SUBJECT must be a mailto: or https: URL")
        return value

    @field_validator("replay", mode="before")
    @classmethod
    def _blank_is_off(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @field_validator("verify_offsets_hours", mode="before")
    @classmethod
    def _split_floats(cls, value: object) -> object:
        if isinstance(value, str):
            return [float(part) for part in value.split(",") if part.strip()]
        return value

    @field_validator("rate_limit_login", "rate_limit_register", "rate_limit_api")
    @classmethod
    def _check_rate(cls, value: str, info: ValidationInfo) -> str:
        parse_rate(value)
        return value

    @model_validator(mode="after")
    def _production_needs_secrets(self) -> Settings:
        if self.environment == "production":
            missing = [name.upper() for name in REQUIRED_IN_PRODUCTION if not getattr(self, name)]
            if missing:
                raise SettingsError(
                    f"ENVIRONMENT=production needs {', '.join(missing)}: set "
                    f"{'it' if len(missing) == 1 else 'them'} in the environment or .env"
                )
        return self

    def current_season(self) -> int | None:
        """Return the season these settings make current: the replayed one, else SEASON."""
        return self.replay or self.season

    def signing_key(self) -> str:
        """Return SECRET_KEY, or in development a key generated once into the data folder."""
        if self.secret_key:
            return self.secret_key
        path = self.data_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()

    def vapid_key(self) -> str | None:
        """Return VAPID_PRIVATE_KEY, or outside production one generated once in the data folder."""
        if self.vapid_private_key:
            return self.vapid_private_key
        if self.environment == "production":
            return None
        path = self.data_dir / "vapid_private_key"
        if not path.exists():
            from cryptography.hazmat.primitives.asymmetric import ec

            raw = ec.generate_private_key(ec.SECP256R1()).private_numbers().private_value
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(base64.urlsafe_b64encode(raw.to_bytes(32, "big")).decode().rstrip("="))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning a configuration problem into one readable line."""
    try:
        return Settings(**overrides)
    except SettingsError:
        raise
    except ValueError as exc:
        # pydantic wraps errors raised in validators; surface our own one-liner.
        text = str(exc)
        if "ENVIRONMENT=production needs" in text:
            line = text[text.index("ENVIRONMENT=production needs") :].splitlines()[0]
            raise SettingsError(line.split(" [type=")[0]) from None
        raise SettingsError(text.replace("\n", " ")) from None


@lru_cache
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return load_settings()
