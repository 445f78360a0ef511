"""Start-up: the dispatcher's first tick runs when the application starts, not one interval
later. (That start-up freezes the heap it leaves is asserted on a real `rekpauze run` process in
tests/e2e/test_run_process.py: frozen here, it would be the test process's heap.)"""

from __future__ import annotations

import asyncio
import contextlib

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
    loop = asyncio.get_running_loop()
    async with app:
        await startup(app, freeze=False)
        heartbeat = app.bot_data.heartbeat
        assert heartbeat.last is None  # scheduled, not yet run
        started = loop.time()
        await app.start()
        try:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(30):  # half the interval; the old first run: 60 s
                    while heartbeat.last is None:  # noqa: ASYNC110
                        await asyncio.sleep(0.01)
            waited = loop.time() - started
        finally:
            await app.stop()
    assert heartbeat.last == clock.now, "the dispatcher did not tick after start-up"
    assert waited < settings.tick_seconds / 2
