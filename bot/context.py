"""What handlers and jobs share: settings, database and the injected clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from telegram.ext import CallbackContext

from bot.config import Settings
from bot.storage.db import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = system_clock


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    return context.application.bot_data["services"]  # type: ignore[no-any-return]
