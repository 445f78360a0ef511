"""Reminders over real HTTP against the Bot API stand-in: what Telegram would refuse, a real
429 answer, a user who blocked the bot, a migrated group, and a button press round trip.
The rate limiter sleeps on the fake clock, which also drives the stand-in's flood windows."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot.app import build_application
from bot.config import Settings
from bot.sandbox.server import BotAPIServer
from bot.storage.db import Database
from tests.conftest import FakeClock
from tests.reminder_kit import FakeSleep, add_chat, get_chat, limiter, make_dispatcher, run

T0 = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
async def server(clock: FakeClock) -> AsyncIterator[BotAPIServer]:
    stand_in = BotAPIServer(clock=lambda: clock().timestamp())
    await stand_in.start()
    yield stand_in
    await stand_in.stop()


@pytest.fixture
async def live_app(
    server: BotAPIServer, db: Database, clock: FakeClock, database_url: str
) -> AsyncIterator[tuple[Any, FakeSleep]]:
    settings = Settings(  # type: ignore[call-arg]
        DATABASE_URL=database_url, TELEGRAM_API_BASE_URL=server.base_url
    )
    sleep = FakeSleep(clock)
    app = build_application(
        settings, db, token=server.token, clock=clock, rate_limiter=limiter(clock, sleep)
    )
    async with app:
        yield app, sleep


async def test_reminders_over_http_with_429_403_migration_and_a_press(
    live_app: tuple[Any, FakeSleep], server: BotAPIServer, db: Database, clock: FakeClock
) -> None:
    app, sleep = live_app
    clock.now = T0
    anke = server.add_user("Anke", language_code="nl", started=True)
    bo = server.add_user("Bo", started=True)
    cas = server.add_user("Cas", started=True)
    group = server.add_group("Team", members=[anke, bo])
    for user in (anke, bo, cas):
        await add_chat(db, user.id, next_due_at=T0, language=user.language_code or "en")
    await add_chat(db, group.id, next_due_at=T0, chat_type="group")
    server.block_bot(bo)
    server.fail_next("sendMessage", retry_after=5, chat_id=cas.id)
    supergroup = server.migrate_group(group)

    dispatcher = make_dispatcher(app, db, clock)
    await run(dispatcher, T0 + timedelta(seconds=2))

    [reminder] = server.messages(anke)[-1:]
    assert reminder.from_bot and reminder.reply_markup is not None
    assert len(server.messages(cas)) == 1 and any(w > 5 for w in sleep.waits)
    assert [m.from_bot for m in server.messages(supergroup)].count(True) == 1
    blocked = await get_chat(db, bo.id)
    assert blocked is not None and blocked.blocked and blocked.next_due_at is None
    assert await get_chat(db, group.id) is None
    assert await get_chat(db, supergroup.id) is not None

    # Anke presses Done; the update travels through getUpdates into the real handlers.
    record = await server.press_button(anke, reminder, "✅ Gedaan")
    for update in await app.bot.get_updates(timeout=0):
        await app.process_update(update)
    assert record.answered and "Genoteerd" in (record.answer_text or "")
    edited = server.messages(anke)[-1]
    assert edited.message_id == reminder.message_id and "Gedaan." in (edited.text or "")

    # The next day: everyone gets their reminder, except the one who blocked the bot.
    before = len([c for c in server.calls_to("sendMessage") if c.chat_id == bo.id])
    chat = await get_chat(db, anke.id)
    assert chat is not None and chat.next_due_at is not None
    await run(dispatcher, chat.next_due_at + timedelta(seconds=2))
    after = len([c for c in server.calls_to("sendMessage") if c.chat_id == bo.id])
    assert before == after == 1
