"""Settings from the environment and an optional .env file, validated once at start-up."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{30,60}$")


class ConfigError(Exception):
    """A one-line, user-facing explanation of a configuration problem."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", populate_by_name=True
    )

    telegram_bot_token: SecretStr | None = Field(default=None, alias="TELEGRAM_BOT_TOKEN")
    telegram_api_base_url: str = Field(default=OFFICIAL_API_BASE_URL, alias="TELEGRAM_API_BASE_URL")
    database_url: str = Field(default="sqlite+aiosqlite:///rekpauze.sqlite3", alias="DATABASE_URL")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", alias="LOG_LEVEL"
    )
    log_format: Literal["text", "json"] = Field(default="text", alias="LOG_FORMAT")
    admin_user_ids: Annotated[frozenset[int], NoDecode] = Field(
        default=frozenset(), alias="ADMIN_USER_IDS"
    )
    tick_seconds: float = Field(default=5.0, gt=0, le=60, alias="TICK_SECONDS")
    grace_minutes: int = Field(default=20, ge=0, le=24 * 60, alias="GRACE_MINUTES")
    send_rate_per_second: float = Field(default=30, gt=0, le=1000, alias="SEND_RATE_PER_SECOND")
    send_concurrency: int = Field(default=64, ge=1, le=1024, alias="SEND_CONCURRENCY")
    leader_lease_seconds: float = Field(default=20, ge=5, le=300, alias="LEADER_LEASE_SECONDS")

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("admin_user_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return frozenset(int(part) for part in re.split(r"[,\s]+", value.strip()) if part)
        return value

    @field_validator("telegram_api_base_url")
    @classmethod
    def _base_url(cls, value: str) -> str:
        if not re.match(r"^https?://", value):
            raise ValueError("must start with http:// or https://")
        return value

    def token(self) -> str:
        """The bot token, or ConfigError saying how to get one."""
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: open @BotFather in Telegram, send /newbot, and put "
                "the token it gives you in TELEGRAM_BOT_TOKEN (environment or .env)."
            )
        token = self.telegram_bot_token.get_secret_value().strip()
        if not TOKEN_RE.match(token):
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is malformed: expected '<bot id>:<secret>' exactly as "
                "@BotFather gives it (send /token to @BotFather to see it again)."
            )
        return token


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, or ConfigError naming the bad variable."""
    from pydantic import ValidationError

    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "configuration"
        field = Settings.model_fields.get(name)
        env_name = field.alias if field and field.alias else name.upper()
        raise ConfigError(f"{env_name} is invalid: {first['msg']}") from None
