from __future__ import annotations

import pytest

from bot.config import OFFICIAL_API_BASE_URL, ConfigError, Settings, load_settings

VALID = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


def test_defaults_match_the_documented_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TELEGRAM_BOT_TOKEN", "TELEGRAM_API_BASE_URL", "DATABASE_URL", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.telegram_api_base_url == OFFICIAL_API_BASE_URL
    assert settings.database_url == "sqlite+aiosqlite:///rekpauze.sqlite3"
    assert settings.log_level == "INFO"
    assert settings.admin_user_ids == frozenset()


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", VALID)
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("DATABASE_URL", "postgresql+asyncpg://u@h/db")
    monkeypatch.setenv("LOG_LEVEL", "debug")
    monkeypatch.setenv("ADMIN_USER_IDS", "12, 34 56")
    settings = load_settings()
    assert settings.token() == VALID
    assert settings.telegram_api_base_url == "http://127.0.0.1:8081/bot"
    assert settings.database_url.startswith("postgresql+asyncpg://")
    assert settings.log_level == "DEBUG"
    assert settings.admin_user_ids == {12, 34, 56}


def test_missing_token_names_the_variable_and_botfather() -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN=None, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError) as info:
        settings.token()
    message = str(info.value)
    assert "TELEGRAM_BOT_TOKEN" in message and "BotFather" in message
    assert "\n" not in message


@pytest.mark.parametrize(
    "bad", ["abc", "123:short", "123456789 AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"]
)
def test_malformed_token_is_refused_without_echoing_it(bad: str) -> None:
    settings = Settings(TELEGRAM_BOT_TOKEN=bad, _env_file=None)  # type: ignore[call-arg]
    with pytest.raises(ConfigError) as info:
        settings.token()
    assert "malformed" in str(info.value)
    assert bad not in str(info.value)


def test_bad_values_name_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADMIN_USER_IDS", "12,abc")
    with pytest.raises(ConfigError, match="ADMIN_USER_IDS"):
        load_settings()
    monkeypatch.delenv("ADMIN_USER_IDS")
    monkeypatch.setenv("TELEGRAM_API_BASE_URL", "ftp://example")
    with pytest.raises(ConfigError, match="TELEGRAM_API_BASE_URL"):
        load_settings()


def test_http_and_webhook_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTP_PORT", "HTTP_HOST", "WEBHOOK_URL", "WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.http_port == 8080
    assert settings.webhook_url is None and settings.webhook_path is None


def test_webhook_path_comes_from_the_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.setenv("WEBHOOK_SECRET", "s3cret_-x")
    settings = load_settings()
    assert settings.webhook_path == "/telegram"
    assert "s3cret_-x" in settings.secrets()


def test_webhook_url_without_secret_is_one_line_naming_both(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", "https://bot.example.org/telegram")
    monkeypatch.delenv("WEBHOOK_SECRET", raising=False)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith("WEBHOOK_SECRET is required when WEBHOOK_URL is set")
    assert "\n" not in message


@pytest.mark.parametrize(
    ("url", "secret", "name"),
    [
        ("http://bot.example.org/telegram", "abc", "WEBHOOK_URL"),
        ("https://bot.example.org/healthz", "abc", "WEBHOOK_URL"),
        ("https://bot.example.org/telegram", "has space", "WEBHOOK_SECRET"),
    ],
)
def test_bad_webhook_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, url: str, secret: str, name: str
) -> None:
    monkeypatch.setenv("WEBHOOK_URL", url)
    monkeypatch.setenv("WEBHOOK_SECRET", secret)
    with pytest.raises(ConfigError, match=name):
        load_settings()


def test_http_port_is_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PORT", "70000")
    with pytest.raises(ConfigError, match="HTTP_PORT"):
        load_settings()


def test_default_times_window(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEFAULT_TIMES_WINDOW_MINUTES", raising=False)
    assert Settings(_env_file=None).default_times_window_minutes == 45  # type: ignore[call-arg]
    monkeypatch.setenv("DEFAULT_TIMES_WINDOW_MINUTES", "60")
    assert load_settings().default_times_window_minutes == 60
    monkeypatch.setenv("DEFAULT_TIMES_WINDOW_MINUTES", "-1")
    with pytest.raises(ConfigError, match="DEFAULT_TIMES_WINDOW_MINUTES"):
        load_settings()


def test_early_start_max(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("EARLY_START_MAX_SECONDS", raising=False)
    assert Settings(_env_file=None).early_start_max_seconds == 60  # type: ignore[call-arg]
    monkeypatch.setenv("EARLY_START_MAX_SECONDS", "0")  # never early
    assert load_settings().early_start_max_seconds == 0
    for bad in ("61", "-1"):  # past a minute a crowded minute could overtake the one before
        monkeypatch.setenv("EARLY_START_MAX_SECONDS", bad)
        with pytest.raises(ConfigError, match="EARLY_START_MAX_SECONDS"):
            load_settings()
