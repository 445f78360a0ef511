"""Start-up: the dispatcher's first tick runs when the application starts, not one interval
later, and the heap left by start-up is frozen."""

from __future__ import annotations

import asyncio
import gc
from typing import Any

from bot.app import build_application, startup
from bot.config import Settings
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.fakes import TOKEN, RecordingRequest


async def test_the_first_tick_does_not_wait_a_whole_interval(
    database_url: str, db: Database, clock: FakeClock
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        TELEGRAM_BOT_TOKEN=TOKEN,
        DATABASE_URL=database_url,
        SEND_RATE_PER_SECOND=0,
        TICK_SECONDS=60,
    )
    app = build_application(
        settings,
        db,
        token=TOKEN,
        clock=clock,
        request=RecordingRequest(),
        get_updates_request=RecordingRequest(),
    )
    async with app:
        await startup(app)
        await app.start()
        heartbeat = app.bot_data.heartbeat
        try:
            async with asyncio.timeout(30):  # half the interval: the old first run came at 60 s
                while heartbeat.last is None:  # noqa: ASYNC110
                    await asyncio.sleep(0.01)
        finally:
            await app.stop()


async def test_start_up_freezes_the_heap_it_leaves(app: Any) -> None:
    """What start-up leaves alive is out of the garbage collector's full collections."""
    gc.unfreeze()
    await startup(app)
    assert gc.get_freeze_count() > 0
