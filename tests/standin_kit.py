"""The real Application against the Bot API stand-in in one process: loopback HTTP, polling
done by hand, and a test's FakeClock for the stand-in, the bot and the rate limiter alike."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from bot.app import build_application
from bot.config import Settings
from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.reminder_kit import FakeSleep, limiter


@asynccontextmanager
async def stand_in(clock: FakeClock, start: datetime) -> AsyncIterator[BotAPIServer]:
    """The stand-in on loopback, its clock the test's, set to `start`."""
    clock.now = start
    server = BotAPIServer(clock=lambda: clock().timestamp())
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


@asynccontextmanager
async def polled_app(
    server: BotAPIServer, db: Database, clock: FakeClock, database_url: str
) -> AsyncIterator[Any]:
    """The Application `rekpauze run` builds, talking to `server`, paced on the fake clock."""
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, TELEGRAM_API_BASE_URL=server.base_url
    )
    app = build_application(
        settings, db, token=server.token, clock=clock, rate_limiter=limiter(clock, FakeSleep(clock))
    )
    async with app:
        yield app


class PolledBot:
    """The bot and its stand-in; `deliver` is one round of polling."""

    def __init__(self, app: Any, server: BotAPIServer) -> None:
        self.app = app
        self.server = server
        self.offset = 0

    async def deliver(self) -> None:
        """What polling does: fetch pending updates, process them, confirm them."""
        while updates := await self.app.bot.get_updates(offset=self.offset, timeout=0):
            for update in updates:
                await self.app.process_update(update)
                self.offset = update.update_id + 1
