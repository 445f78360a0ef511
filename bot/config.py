"""Settings from the environment and an optional .env file, validated once at start-up."""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

OFFICIAL_API_BASE_URL = "https://api.telegram.org/bot"
# Paths the HTTP server answers itself; a webhook path must not shadow them.
RESERVED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
WEBHOOK_SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
TOKEN_RE = re.compile(r"^[0-9]{1,20}:[A-Za-z0-9_-]{30,60}$")
FERNET_KEY_HOWTO = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


def is_fernet_key(key: str) -> bool:
    """Fernet's own rule for a key (32 url-safe base64-encoded bytes), checked without
    importing cryptography (~7 MB), which loads when a calendar address is first read."""
    try:
        return len(base64.urlsafe_b64decode(key.encode("ascii"))) == 32
    except (ValueError, UnicodeEncodeError):  # binascii.Error is a ValueError
        return False


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
    max_late_minutes: int = Field(default=60, ge=1, le=24 * 60, alias="MAX_LATE_MINUTES")
    # 0 switches all pacing off (tests against an in-process fake Bot API).
    send_rate_per_second: float = Field(default=30, ge=0, le=1000, alias="SEND_RATE_PER_SECOND")
    # Paid broadcasts (Bot API 7.11, allow_paid_broadcast): reminders later than
    # PAID_BROADCAST_AFTER_SECONDS (or predicted to be) may go out faster than the free
    # send rate, up to this many a second in total. Off (0) by default: Telegram charges
    # Stars for each message beyond the free rate.
    paid_broadcast_rate: float = Field(default=0, ge=0, le=1000, alias="PAID_BROADCAST_RATE")
    paid_broadcast_after_seconds: float = Field(
        default=60, ge=0, le=24 * 3600, alias="PAID_BROADCAST_AFTER_SECONDS"
    )
    # Load-aware default times: each campaign moment within this many minutes either side.
    default_times_window_minutes: int = Field(
        default=45, ge=0, le=60, alias="DEFAULT_TIMES_WINDOW_MINUTES"
    )
    # A minute whose reminders cannot all leave within it at SEND_RATE_PER_SECOND starts this
    # early at most (half its sending time before it, centred on it); 0: always on time.
    early_start_max_seconds: float = Field(default=60, ge=0, le=60, alias="EARLY_START_MAX_SECONDS")
    send_concurrency: int = Field(default=64, ge=1, le=1024, alias="SEND_CONCURRENCY")
    leader_lease_seconds: float = Field(default=20, ge=5, le=300, alias="LEADER_LEASE_SECONDS")
    # Seconds after SIGTERM for work in flight; systemd/compose give 20 before SIGKILL.
    shutdown_seconds: float = Field(default=10, gt=0, le=300, alias="SHUTDOWN_SECONDS")
    http_host: str = Field(default="0.0.0.0", alias="HTTP_HOST")
    http_port: int = Field(default=8080, ge=1, le=65535, alias="HTTP_PORT")
    webhook_url: str | None = Field(default=None, alias="WEBHOOK_URL")
    webhook_secret: SecretStr | None = Field(default=None, alias="WEBHOOK_SECRET")
    webapp_url: str | None = Field(default=None, alias="WEBAPP_URL")
    webapp_max_age_seconds: int = Field(
        default=86400, ge=60, le=30 * 86400, alias="WEBAPP_MAX_AGE_SECONDS"
    )
    # Calendars (issue 19): the key that encrypts stored iCal addresses, needed only once a
    # calendar is connected; and the switch that lets them point at intranet hosts over http.
    secret_key: SecretStr | None = Field(default=None, alias="SECRET_KEY")
    calendar_allow_private_hosts: bool = Field(default=False, alias="CALENDAR_ALLOW_PRIVATE_HOSTS")
    # Exercise animations (issue 18): rendered once into this folder and reused; empty means
    # the user's cache folder ($XDG_CACHE_HOME or ~/.cache, then rekpauze/animations).
    animation_cache_dir: Path | None = Field(default=None, alias="ANIMATION_CACHE_DIR")
    # How far a reminder may move to get past a meeting; beyond it the slot is skipped.
    calendar_move_window_minutes: int = Field(
        default=90, ge=0, le=12 * 60, alias="CALENDAR_MOVE_WINDOW_MINUTES"
    )

    @field_validator("paid_broadcast_rate", mode="before")
    @classmethod
    def _empty_is_off(cls, value: object) -> object:
        return 0 if value is None or (isinstance(value, str) and not value.strip()) else value

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

    @field_validator("webhook_url", "webapp_url", "animation_cache_dir", mode="before")
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https:// URL (Telegram only calls HTTPS webhooks)")
        if (parts.path or "/") in RESERVED_PATHS:
            raise ValueError(f"path {parts.path} is reserved for health and metrics")
        return value.strip()

    @field_validator("webapp_url")
    @classmethod
    def _webapp_url(cls, value: str | None) -> str | None:
        """Telegram opens Mini Apps over HTTPS only; plain http is for loopback tests."""
        if value is None:
            return None
        parts = urlsplit(value.strip())
        loopback = parts.hostname in ("localhost", "127.0.0.1", "::1")
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback):
            raise ValueError("must be an https:// URL of the app (http:// only on loopback)")
        if not (parts.path or "/").rstrip("/").endswith("/app"):
            raise ValueError(
                "must point at the bot's /app/ path, e.g. https://bot.example.org/app/"
            )
        url = value.strip()
        return url if url.endswith("/") else url + "/"

    @field_validator("secret_key")
    @classmethod
    def _fernet_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value().strip():
            return None
        key = value.get_secret_value().strip()
        if not is_fernet_key(key):
            raise ValueError(
                "not a key (32 url-safe base64-encoded bytes); "
                f"generate one with: {FERNET_KEY_HOWTO}"
            )
        return SecretStr(key)

    @model_validator(mode="after")
    def _paid_above_free(self) -> Settings:
        if self.paid_broadcast_rate and self.paid_broadcast_rate <= self.send_rate_per_second:
            raise ValueError(
                f"PAID_BROADCAST_RATE ({self.paid_broadcast_rate:g}) must be above "
                f"SEND_RATE_PER_SECOND ({self.send_rate_per_second:g}), or 0 to stay off"
            )
        if self.paid_broadcast_rate and not self.send_rate_per_second:
            raise ValueError("PAID_BROADCAST_RATE needs pacing on (SEND_RATE_PER_SECOND above 0)")
        return self

    @model_validator(mode="after")
    def _webhook_secret(self) -> Settings:
        if self.webhook_url is None:
            return self
        secret = self.webhook_secret.get_secret_value() if self.webhook_secret else ""
        if not secret:
            raise ValueError(
                "WEBHOOK_SECRET is required when WEBHOOK_URL is set: choose 1-256 characters "
                "from A-Z, a-z, 0-9, _ and - (for example: openssl rand -hex 32)"
            )
        if not WEBHOOK_SECRET_RE.match(secret):
            raise ValueError(
                "WEBHOOK_SECRET is invalid: use 1-256 characters from A-Z, a-z, 0-9, _ and -"
            )
        return self

    @property
    def webhook_path(self) -> str | None:
        """Where the webhook is served: the path of WEBHOOK_URL (/ when it has none)."""
        return (urlsplit(self.webhook_url).path or "/") if self.webhook_url else None

    @property
    def animations_dir(self) -> Path:
        """Where rendered animations are kept (ANIMATION_CACHE_DIR or the user's cache)."""
        if self.animation_cache_dir is not None:
            return self.animation_cache_dir.expanduser()
        from bot.content.animation import default_cache_dir

        return default_cache_dir()

    def secrets(self) -> tuple[str, ...]:
        """Values the log redactor must never print."""
        values = (self.telegram_bot_token, self.webhook_secret, self.secret_key)
        return tuple(v.get_secret_value() for v in values if v and v.get_secret_value())

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
        if not first["loc"]:  # a check across fields already names its variables
            raise ConfigError(str(first["msg"]).removeprefix("Value error, ")) from None
        name = str(first["loc"][0]) if first["loc"] else "configuration"
        field = Settings.model_fields.get(name)
        env_name = field.alias if field and field.alias else name.upper()
        raise ConfigError(f"{env_name} is invalid: {first['msg']}") from None
