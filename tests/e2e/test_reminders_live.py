"""Issue 5 "done when", in-process: the real Application polls the Bot API stand-in over
loopback HTTP (bot/sandbox/runner.py live_bot), on a clock that runs in real time but can jump
to just before a due minute, so lateness is real and no test waits for a wall-clock minute."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.sandbox.clock import ScaledClock
from bot.sandbox.runner import LiveBot, live_bot
from bot.sandbox.state import StoredMessage, User
from bot.storage import leases
from bot.storage.db import Database
from bot.storage.models import Completion, KeyValue
from tests.e2e.conftest import assert_nothing_refused
from tests.reminder_kit import add_chat, all_deliveries, get_chat

# A Monday, 10:00:20 in Amsterdam.
T0 = datetime(2026, 11, 23, 9, 0, 20, tzinfo=UTC)
AMSTERDAM = ZoneInfo("Europe/Amsterdam")


@pytest.fixture
def clock() -> ScaledClock:  # type: ignore[override]
    return ScaledClock(1.0, start=T0.timestamp())


@pytest.fixture
async def bot(
    clean_database_url: str, clock: ScaledClock, request: pytest.FixtureRequest
) -> AsyncIterator[LiveBot]:
    async with live_bot(
        unix_clock=clock,
        database_url=clean_database_url,
        settings_overrides={"TICK_SECONDS": 0.5},
    ) as running:
        yield running
    assert_nothing_refused(running.server, request)


def now(clock: ScaledClock) -> datetime:
    return datetime.fromtimestamp(clock(), UTC)


def reminders(bot: LiveBot, user: User) -> list[StoredMessage]:
    """The bot's reminder messages in the chat (they carry the r1: buttons)."""
    return [
        m
        for m in bot.server.messages(user)
        if any(b.get("callback_data", "").startswith("r1:d:") for row in m.buttons for b in row)
    ]


def reminder_sends(bot: LiveBot, user: User) -> int:
    """Reminders Telegram accepted for the chat (edits later remove their buttons)."""
    return len(
        [
            c
            for c in bot.server.calls_to("sendMessage")
            if c.chat_id == user.id and c.ok and "r1:d:" in str(c.params.get("reply_markup"))
        ]
    )


def send_attempts(bot: LiveBot, user: User) -> int:
    return len([c for c in bot.server.calls_to("sendMessage") if c.chat_id == user.id])


async def ticks(bot: LiveBot, count: int = 2) -> None:
    """Let the dispatcher tick `count` more times (a bounded wait on its heartbeat)."""
    heartbeat = bot.app.bot_data.heartbeat
    last, seen = heartbeat.last, 0
    async with asyncio.timeout(15):
        while seen < count:
            await asyncio.sleep(0.05)
            if heartbeat.last != last:
                last, seen = heartbeat.last, seen + 1


async def say(bot: LiveBot, user: User, text: str, expect: str) -> StoredMessage:
    await bot.server.send_text(user, text)
    return await bot.server.wait_for_message(user, lambda m: expect in m.content, timeout=15)


async def press(bot: LiveBot, user: User, message: StoredMessage, data: str) -> str:
    query = await bot.server.press_button(user, message, data)
    await bot.server.wait_for_answer(query, timeout=15)
    return query.answer_text or ""


async def test_new_subscriber_gets_the_reminder_on_time_once_and_its_buttons_work(
    bot: LiveBot, clock: ScaledClock
) -> None:
    bo = bot.server.add_user("Bo", language_code="en")
    start = await say(bot, bo, "/start", "Step 1 of 3")
    await press(bot, bo, start, "ob:l:en")
    await say(bot, bo, "Europe/Amsterdam", "Step 3 of 3")
    confirm = bot.server.last_message(bo)
    assert confirm is not None
    await press(bot, bo, confirm, "ob:c")
    await say(bot, bo, "/days all", "")
    minute = (now(clock) + timedelta(minutes=1)).astimezone(AMSTERDAM).strftime("%H:%M")
    await say(bot, bo, f"/times {minute}", minute)

    chat = await get_chat(bot.db, bo.id)
    assert chat is not None and chat.next_due_at is not None
    due = chat.next_due_at
    assert due.astimezone(AMSTERDAM).strftime("%H:%M") == minute and due > now(clock)
    assert not reminders(bot, bo)

    clock.advance((due - now(clock)).total_seconds() - 1)  # one second before the minute
    reminder = await bot.server.wait_for_message(bo, lambda m: m in reminders(bot, bo), timeout=10)
    lateness = reminder.date - due.timestamp()
    assert 0 <= lateness <= 3, lateness
    assert re.search(r"^1\. .+\n2\. ", reminder.content, re.MULTILINE), reminder.content
    assert reminder.button_labels == [
        "✅ Done",
        "⏰ 10 minutes later",
        "📅 In a meeting",
        "🔄 Another exercise",
        "⏭ Skip today",
        "🎬 Show me",
        "🩺 Exercising safely",
    ]
    await ticks(bot, 4)
    assert reminders(bot, bo) == [reminder] and reminder_sends(bot, bo) == 1  # only once

    # "10 minutes later": edited in place, re-sent once ten minutes on, and only once.
    later = next(b["callback_data"] for row in reminder.buttons for b in row if ":l:" in str(b))
    assert "10 minutes" in await press(bot, bo, reminder, later)
    await bot.server.wait_until(lambda: "Postponed" in reminder.content, timeout=10)
    clock.advance(9 * 60 + 58)
    again = await bot.server.wait_for_message(bo, lambda m: "postponed" in m.content, timeout=10)
    assert again is not reminder and again.date - (reminder.date + 600) <= 5
    clock.advance(15 * 60)
    await ticks(bot, 4)
    assert reminder_sends(bot, bo) == 2

    # Done: a completion in the database, the message edited.
    done = next(b["callback_data"] for row in again.buttons for b in row if ":d:" in str(b))
    assert "Recorded" in await press(bot, bo, again, done)
    await bot.server.wait_until(lambda: "Done." in again.content, timeout=10)
    async with bot.db.session() as session:
        rows = (await session.execute(select(Completion).where(Completion.chat_id == bo.id))).all()
    assert len(rows) == 1
    assert not [c for c in bot.server.calls if c.status >= 400 and c.method != "getUpdates"]


async def test_429_delays_but_loses_nothing_and_a_blocked_user_is_tried_once(
    bot: LiveBot, clock: ScaledClock
) -> None:
    cas = bot.server.add_user("Cas", started=True)
    dirk = bot.server.add_user("Dirk", started=True)
    times = ["09:00", "12:00", "15:00"]  # UTC
    due = T0.replace(second=0)
    for user in (cas, dirk):
        await add_chat(bot.db, user.id, next_due_at=due, times=times, tz="UTC")
    bot.server.fail_next("sendMessage", retry_after=2, chat_id=cas)
    bot.server.block_bot(dirk)

    first = await bot.server.wait_for_message(cas, timeout=15)
    assert first.date - due.timestamp() >= 2  # waited retry_after, then delivered
    refused = [c for c in bot.server.calls_to("sendMessage") if c.chat_id == cas.id]
    assert [c.status for c in refused] == [429, 200]
    await ticks(bot, 2)
    assert send_attempts(bot, dirk) == 1
    blocked = await get_chat(bot.db, dirk.id)
    assert blocked is not None and blocked.blocked and blocked.next_due_at is None

    # Three later slots: Cas gets each one, Dirk is left alone.
    for slot in (due.replace(hour=12), due.replace(hour=15), due + timedelta(days=1)):
        clock.advance((slot - now(clock)).total_seconds() + 1)
        await bot.server.wait_for_message(cas, timeout=15)
        await ticks(bot, 2)
    assert len(bot.server.messages(cas)) == 4 == len(await all_deliveries(bot.db, cas.id))
    assert send_attempts(bot, dirk) == 1


async def test_live_bot_stops_as_rekpauze_run_does(
    db: Database, clean_database_url: str, clock: ScaledClock
) -> None:
    """Leaving live_bot runs the shutdown hooks: the leader lease and heartbeat are released
    (a successor need not wait for them to lapse)."""
    async with live_bot(
        unix_clock=clock, database_url=clean_database_url, settings_overrides={"TICK_SECONDS": 0.5}
    ) as running:
        await ticks(running, 1)
        async with running.db.session() as session:
            assert await session.get(KeyValue, leases.LEADER_KEY) is not None
    async with db.session() as session:
        held = (await session.execute(select(KeyValue.key))).scalars().all()
    assert held == []
