"""Early start of crowded minutes (issue 20) through the real dispatcher, storage and fake Bot
API, on an injected clock: a minute whose reminders cannot all leave within it at the send
rate is claimed rules.early_start seconds before it, after everything already due, exactly
once; a minute that fits, and any minute with EARLY_START_MAX_SECONDS=0, is claimed on time.
Every rule that decides a slot (pause, done shortly before, meetings, snoozes) decides an
early-claimed slot as at its due moment."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from bot import metrics
from bot.config import Settings
from bot.outbox import Outbox
from bot.scheduling.busy import AFTER_MEETING
from bot.scheduling.dispatcher import Dispatcher, from_settings
from bot.scheduling.rules import early_start
from bot.storage import calendars, completions, deliveries
from bot.storage.db import Database
from bot.storage.models import BusyInterval, DeliveryStatus
from tests.conftest import FakeClock
from tests.fakes import RecordingRequest
from tests.reminder_kit import add_chat, all_deliveries, get_chat, run

# Monday 2026-11-23, Amsterdam UTC+1: the crowded minute is 10:01 local, 09:01 UTC.
M = datetime(2026, 11, 23, 9, 1, tzinfo=UTC)
TIMES = ["10:01", "13:30", "15:30"]
NEXT = datetime(2026, 11, 23, 12, 30, tzinfo=UTC)  # 13:30 local, each chat's next slot


def dispatcher_for(
    app: Any, settings: Settings, db: Database, clock: FakeClock, *, rate: float, cap: float
) -> Dispatcher:
    """The dispatcher as `rekpauze run` builds it, for SEND_RATE_PER_SECOND and
    EARLY_START_MAX_SECONDS (the fake Bot API itself is not paced)."""
    tuned = settings.model_copy(
        update={"send_rate_per_second": rate, "early_start_max_seconds": cap}
    )
    return from_settings(Outbox(app.bot, db), app.bot_data.catalogue, tuned, db, clock)


async def tick_at(dispatcher: Dispatcher, clock: FakeClock, at: datetime) -> Any:
    clock.now = at
    return await run(dispatcher, at)


async def add_chats(db: Database, ids: range, due: datetime, times: list[str] = TIMES) -> None:
    for chat_id in ids:
        await add_chat(db, chat_id, next_due_at=due, times=times)


def early_sent() -> float:
    return metrics.REGISTRY.get_sample_value("rekpauze_reminders_early_total") or 0.0


@pytest.mark.parametrize(("rate", "expected"), [(2.0, 60.0), (4.0, 37.5)])
async def test_a_crowded_minute_starts_early_by_its_computed_start_exactly_once(
    app: Any,
    settings: Settings,
    db: Database,
    clock: FakeClock,
    fake_request: RecordingRequest,
    rate: float,
    expected: float,
) -> None:
    # 300 due at 09:01: 150 s of sending at 2 msg/s (early by the 60 s cap), 75 s at 4 msg/s
    # (early by half of it, 37.5 s).
    assert early_start(300, rate, 60) == expected
    await add_chats(db, range(1, 301), M)
    dispatcher = dispatcher_for(app, settings, db, clock, rate=rate, cap=60)
    before = early_sent()
    for seconds in (90, 61, 60.5, expected + 0.5):  # not yet (the last: half a second short)
        report = await tick_at(dispatcher, clock, M - timedelta(seconds=seconds))
        assert report.reminders == 0 and fake_request.delivered() == []
    report = await tick_at(dispatcher, clock, M - timedelta(seconds=expected))
    assert (report.reminders, report.early) == (300, 300)
    assert early_sent() - before == 300  # accepted by Telegram before their minute
    for seconds in (0, 5, 30, 65):  # the minute itself and after: nothing more
        report = await tick_at(dispatcher, clock, M + timedelta(seconds=seconds))
        assert report.reminders == 0
    sent = sorted(int(p["chat_id"]) for p in fake_request.delivered())
    assert sent == list(range(1, 301))  # every chat exactly one reminder
    rows = await all_deliveries(db)
    assert len(rows) == 300
    assert {(row.slot_at, row.due_at, row.status) for row in rows} == {(M, M, "sent")}
    chat = await get_chat(db, 1)
    assert chat is not None and chat.next_due_at == NEXT


@pytest.mark.parametrize("chats", [100, 120])  # 50 s and exactly 60 s of sending at 2 msg/s
async def test_a_minute_that_fits_is_never_claimed_before_it_is_due(
    app: Any,
    settings: Settings,
    db: Database,
    clock: FakeClock,
    fake_request: RecordingRequest,
    chats: int,
) -> None:
    await add_chats(db, range(1, chats + 1), M)
    dispatcher = dispatcher_for(app, settings, db, clock, rate=2, cap=60)
    for seconds in (60, 30, 5, 0.001):
        report = await tick_at(dispatcher, clock, M - timedelta(seconds=seconds))
        assert report.reminders == 0
    assert fake_request.delivered() == []
    report = await tick_at(dispatcher, clock, M)
    assert (report.reminders, report.early) == (chats, 0)
    assert len(fake_request.delivered()) == chats


async def test_early_start_0_is_always_on_time(
    app: Any, settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await add_chats(db, range(1, 301), M)
    dispatcher = dispatcher_for(app, settings, db, clock, rate=2, cap=0)
    for seconds in (60, 30, 1):
        assert (await tick_at(dispatcher, clock, M - timedelta(seconds=seconds))).reminders == 0
    report = await tick_at(dispatcher, clock, M)
    assert (report.reminders, report.early) == (300, 0)
    assert len(fake_request.delivered()) == 300


async def test_what_is_already_due_is_claimed_before_the_early_minute(
    app: Any, settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    # 10 chats of 09:00 still waiting (the send queue was full) and 300 of 09:01; the queue
    # takes 50 at a time: the 10 older ones first, then 40 of the early minute.
    await add_chats(db, range(1001, 1011), M - timedelta(minutes=1), ["10:00", "13:30"])
    await add_chats(db, range(1, 301), M)
    dispatcher = dispatcher_for(app, settings, db, clock, rate=2, cap=60)
    dispatcher.max_in_flight = 50
    report = await tick_at(dispatcher, clock, M - timedelta(seconds=60))
    assert (report.reminders, report.early) == (50, 40)
    rows = await all_deliveries(db)
    assert {row.chat_id for row in rows[:10]} == set(range(1001, 1011))
    assert {row.slot_at for row in rows[10:]} == {M}
    # Later ticks take the rest of the early minute, before and at its due moment, once.
    for seconds in (-55, -50, -45, -40, -35, -30, -25, 0, 5):
        await tick_at(dispatcher, clock, M + timedelta(seconds=seconds))
    sent = sorted(int(p["chat_id"]) for p in fake_request.delivered())
    assert sent == [*range(1, 301), *range(1001, 1011)]


async def test_two_workers_claim_an_early_minute_once(
    app: Any,
    settings: Settings,
    db: Database,
    database_url: str,
    clock: FakeClock,
    fake_request: RecordingRequest,
) -> None:
    await add_chats(db, range(1, 301), M)
    other_db = Database(database_url)
    try:
        first = dispatcher_for(app, settings, db, clock, rate=2, cap=60)
        second = dispatcher_for(app, settings, other_db, clock, rate=2, cap=60)
        for worker in (first, second):
            worker.use_leader, worker.batch_size = False, 40
        clock.now = now = M - timedelta(seconds=60)
        await asyncio.gather(first.tick(now), second.tick(now), first.tick(now), second.tick(now))
        await asyncio.gather(first.drain(), second.drain())
        # A restarted worker (its minute counted afresh) finds nothing left to send.
        third = dispatcher_for(app, settings, other_db, clock, rate=2, cap=60)
        third.use_leader = False
        for seconds in (-30, 0, 10):
            await tick_at(third, clock, M + timedelta(seconds=seconds))
    finally:
        await other_db.dispose()
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == list(range(1, 301))
    assert len(await all_deliveries(db)) == 300


async def test_an_early_claim_keeps_pauses_breaks_done_meetings_and_snoozes(
    app: Any, settings: Settings, db: Database, clock: FakeClock, fake_request: RecordingRequest
) -> None:
    await add_chats(db, range(1, 296), M)
    # 296: in a call until 20 s before its slot: free at the slot, but not 60 s early; it
    # waits for the slot itself.
    await add_chat(db, 296, next_due_at=M, times=TIMES)
    # 297: paused until tomorrow; its slot moves past the pause, nothing is sent.
    await add_chat(
        db, 297, next_due_at=M, times=TIMES, paused_until=M + timedelta(days=1, minutes=-1)
    )
    # 298: did a break 20 minutes before the slot: it replaces the reminder.
    await add_chat(db, 298, next_due_at=M, times=TIMES)
    # 299: in a meeting 09:55-10:20 local: the reminder moves to its end, not early.
    await add_chat(db, 299, next_due_at=M, times=TIMES)
    meeting_end = M + timedelta(minutes=19)
    moved_to = meeting_end + AFTER_MEETING
    # 300: a reminder snoozed to 09:01 UTC waits for its own time (snoozes never go early).
    await add_chat(db, 300, next_due_at=NEXT, times=TIMES)
    async with db.session() as session:
        await completions.record(
            session, chat_id=298, user_id=298, now=M - timedelta(minutes=20), source="done"
        )
        for chat_id, end in ((296, M - timedelta(seconds=20)), (299, meeting_end)):
            await calendars.connect(session, chat_id, url_encrypted="x", host="example.org")
            session.add(
                BusyInterval(chat_id=chat_id, start_at=M - timedelta(minutes=6), end_at=end)
            )
        [earlier] = await deliveries.insert_new(
            session,
            [
                {
                    "chat_id": 300,
                    "slot_at": M - timedelta(minutes=30),
                    "due_at": M - timedelta(minutes=30),
                    "kind": "reminder",
                    "routine_id": None,
                    "status": DeliveryStatus.SENT,
                    "attempts": 1,
                }
            ],
        )
        assert await deliveries.add_snooze(session, earlier, M) is not None
    dispatcher = dispatcher_for(app, settings, db, clock, rate=2, cap=60)
    report = await tick_at(dispatcher, clock, M - timedelta(seconds=60))
    # 299 due at 09:01 (the count), 296 to 299 planned as at 09:01: 295 sent early
    assert (report.reminders, report.early, report.done_before, report.moved) == (295, 295, 1, 1)
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == list(range(1, 296))
    paused = await get_chat(db, 297)
    assert paused is not None and paused.next_due_at == M + timedelta(days=1)
    by_chat = {row.chat_id: row for row in await all_deliveries(db)}
    assert by_chat[298].status == DeliveryStatus.DONE_BEFORE
    assert (by_chat[299].status, by_chat[299].due_at) == (DeliveryStatus.SCHEDULED, moved_to)
    assert (by_chat[296].status, by_chat[296].due_at) == (DeliveryStatus.SCHEDULED, M)
    report = await tick_at(dispatcher, clock, M - timedelta(seconds=1))
    assert report.sends == 0
    report = await tick_at(dispatcher, clock, M)  # 296 and the snooze, at their own time
    assert report.snoozes == 2
    report = await tick_at(dispatcher, clock, moved_to)  # the moved one, after the meeting
    assert report.snoozes == 1
    assert sorted(int(p["chat_id"]) for p in fake_request.delivered()) == [
        *range(1, 297),
        299,
        300,
    ]
    assert len(await all_deliveries(db, 296)) == 1
