"""Settings refuse to run production without its secrets."""

from __future__ import annotations

from pathlib import Path

import pytest

from webapp.settings import SettingsError, load_settings, parse_rate


def test_production_without_secrets_names_each_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("SECRET_KEY", "DATABASE_URL", "REDIS_URL"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(SettingsError) as info:
        load_settings(environment="production", _env_file=None)
    message = str(info.value)
    assert "\n" not in message
    assert "SECRET_KEY" in message and "DATABASE_URL" in message and "REDIS_URL" in message


def test_production_with_only_one_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(SettingsError, match=r"needs SECRET_KEY:"):
        load_settings(
            environment="production",
            database_url="postgres://db/x",
            redis_url="redis://r",
            _env_file=None,
        )


def test_lists_and_rates_parse() -> None:
    settings = load_settings(cors_origins="https://a.example, https://b.example", _env_file=None)
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert parse_rate("10/minute") == (10, 60)
    with pytest.raises(SettingsError, match="rate_limit_login"):
        load_settings(rate_limit_login="ten per minute", _env_file=None)


def test_vapid_key_is_made_once_in_development_and_left_unset_in_production(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from webapp.notifications.push import public_key

    monkeypatch.delenv("VAPID_PRIVATE_KEY", raising=False)
    dev = load_settings(environment="development", data_dir=tmp_path, _env_file=None)
    key = dev.vapid_key()
    assert key and dev.vapid_key() == key == (tmp_path / "vapid_private_key").read_text()
    assert public_key(dev) == public_key(load_settings(data_dir=tmp_path, _env_file=None))
    given = load_settings(
        environment="production",
        secret_key="s" * 40,
        database_url="postgres://db/x",
        redis_url="redis://r",
        data_dir=tmp_path,
        _env_file=None,
    )
    assert given.vapid_key() is None and public_key(given) is None
    assert load_settings(vapid_private_key=key, _env_file=None).vapid_key() == key
    with pytest.raises(SettingsError, match="VAPID_SUBJECT"):
        load_settings(vapid_subject="admin@example.com", _env_file=None)
