"""What handlers and jobs share: settings, database, the injected clock, and the process
life cycle (scheduler heartbeat, shutdown hooks; see bot/lifecycle.py)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from telegram.ext import CallbackContext

from bot.config import Settings
from bot.lifecycle import Heartbeat, ShutdownHooks
from bot.storage.db import Database

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    return datetime.now(UTC)


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock = system_clock
    heartbeat: Heartbeat = field(default_factory=Heartbeat)
    shutdown: ShutdownHooks = field(default_factory=ShutdownHooks)


def services(context: CallbackContext[Any, Any, Any, Any]) -> Services:
    found: Services = context.application.bot_data["services"]
    return found
