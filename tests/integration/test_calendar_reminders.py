"""Calendar-aware reminders end to end (issue 19): the Bot API stand-in over real HTTP, the
real handlers and dispatcher, and an iCalendar server on loopback
(CALENDAR_ALLOW_PRIVATE_HOSTS=true). Time is the injected clock; nothing sleeps.

Europe/Amsterdam, Monday 23 November 2026 (UTC+1). Reminders at 10:00, 13:30 and 15:30; a
daily meeting 09:30-10:45 local covers the 10:00 reminder.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot import metrics
from bot.sandbox.server import BotAPIServer
from bot.sandbox.state import StoredMessage, User
from bot.scheduling.dispatcher import Dispatcher
from bot.services import calendars
from bot.services.admin import overview
from bot.storage import calendars as calendar_store
from bot.storage.db import Database
from bot.storage.models import CalendarLink, Chat, Delivery, DeliveryKind, DeliveryStatus
from tests.calendar_kit import Feed, calendar_bot
from tests.conftest import FakeClock
from tests.reminder_kit import add_chat, all_deliveries, make_dispatcher, run

AMS = ZoneInfo("Europe/Amsterdam")
SECRET = "private-0123456789abcdef"
TIMES = ["10:00", "13:30", "15:30"]


def ams(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=AMS).astimezone(UTC)


MORNING_MEETING = """BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:-//test//EN\r
BEGIN:VEVENT\r
UID:standup@test\r
DTSTART;TZID=Europe/Amsterdam:20261123T093000\r
DTEND;TZID=Europe/Amsterdam:20261123T104500\r
RRULE:FREQ=DAILY;COUNT=5\r
SUMMARY:Planning (never stored)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:lunch@test\r
DTSTART;TZID=Europe/Amsterdam:20261123T120000\r
DTEND;TZID=Europe/Amsterdam:20261123T130000\r
TRANSP:TRANSPARENT\r
SUMMARY:Lunch (free: not busy)\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:review@test\r
DTSTART:20261123T123500Z\r
DTEND:20261123T131000Z\r
SUMMARY:Review 13:35-14:10 local\r
END:VEVENT\r
END:VCALENDAR\r
"""


@dataclass
class World:
    app: Any
    server: BotAPIServer
    db: Database
    clock: FakeClock
    base_url: str
    feed: Feed
    offset: int = 0
    dispatchers: list[Dispatcher] = field(default_factory=list)

    async def pump(self) -> None:
        """Hand the updates the stand-in queued to the real handlers, in order."""
        updates = await self.app.bot.get_updates(offset=self.offset, timeout=0)
        for update in updates:
            self.offset = update.update_id + 1
            await self.app.process_update(update)

    async def say(self, user: User, text: str) -> StoredMessage:
        message = await self.server.send_text(user, text)
        await self.pump()
        return message

    async def press(self, user: User, message: StoredMessage, label: str) -> Any:
        record = await self.server.press_button(user, message, label)
        await self.pump()
        return record

    def dispatcher(self) -> Dispatcher:
        """A dispatcher as a (re)started process gets one: its own worker id."""
        made = make_dispatcher(self.app, self.db, self.clock)
        self.dispatchers.append(made)
        return made

    def reminders(self, user: User) -> list[StoredMessage]:
        return [
            m
            for m in self.server.messages(user)
            if m.reply_markup is not None and "r1:d:" in str(m.reply_markup)
        ]


@pytest.fixture
async def world(db: Database, clock: FakeClock, database_url: str) -> AsyncIterator[World]:
    feed = Feed(MORNING_MEETING.encode())
    async with calendar_bot(db, clock, database_url, feed.app(f"/cal/{SECRET}.ics")) as bot:
        url = f"http://127.0.0.1:{bot.calendar_port}/cal/{SECRET}.ics"
        made = World(bot.app, bot.server, db, clock, url, feed)
        yield made
        for dispatcher in made.dispatchers:
            await dispatcher.shutdown(0.1)


async def _subscriber(world: World, name: str, times: list[str] = TIMES) -> User:
    user = world.server.add_user(name, started=True)
    await add_chat(world.db, user.id, next_due_at=ams(23, 10), times=times)
    return user


async def _connected(world: World, name: str, *, onboarded: bool = False) -> User:
    """A subscriber at 10:00, 13:30 and 15:30 with the morning meeting's calendar connected;
    `onboarded`: as a user who finished /start (the commands that need it answer)."""
    user = await _subscriber(world, name)
    if onboarded:
        async with world.db.session() as session:
            chat = await session.get(Chat, user.id)
            assert chat is not None
            chat.onboarded = True
    await calendars.connect(
        world.db, world.app.bot_data.settings, user.id, world.base_url, now=world.clock()
    )
    return user


async def test_a_meeting_moves_the_reminder_once_across_a_restart_and_disconnecting_restores_it(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    ada = await _subscriber(world, "Ada")

    # Connect as a new user would: /calendar, then the address as the next message.
    await world.say(ada, "/calendar")
    assert "secret address in iCal format" in (world.server.last_message(ada).text or "")
    secret_message = await world.say(ada, world.base_url)
    chat = world.server.chat(ada)
    assert secret_message.message_id not in chat.messages  # deleted: the secret does not stay
    reply = world.server.last_message(ada).text or ""
    assert "Calendar connected" in reply and "127.0.0.1 …cdef" in reply
    assert "I found 3 busy blocks in the next 2 days." in reply
    assert "at most 90 minutes later" in reply  # CALENDAR_MOVE_WINDOW_MINUTES
    assert all("0123456789ab" not in (m.text or "") for m in chat.messages.values())
    async with world.db.session() as session:
        link = await session.get(CalendarLink, ada.id)
        assert link is not None and SECRET not in link.url_encrypted  # encrypted at rest

    # /calendar shows the connection, never the secret.
    await world.say(ada, "/calendar")
    status = world.server.last_message(ada)
    assert "Connected calendar" in (status.text or "") and "127.0.0.1 …cdef" in (status.text or "")
    assert "0123456789ab" not in (status.text or "")

    # 10:00: the slot falls in the 09:30-10:45 meeting; nothing is sent, the row waits.
    moved_before = metrics.REMINDERS_RESCHEDULED.labels("moved")._value.get()
    first = world.dispatcher()
    report = await run(first, ams(23, 10, 0) + timedelta(seconds=2))
    assert (report.reminders, report.moved) == (0, 1)
    assert metrics.REMINDERS_RESCHEDULED.labels("moved")._value.get() == moved_before + 1
    assert world.reminders(ada) == []
    [row] = await all_deliveries(world.db, ada.id)
    assert (row.slot_at, row.due_at, row.status) == (
        ams(23, 10),
        ams(23, 10, 47),
        DeliveryStatus.SCHEDULED,
    )

    # The bot restarts during the meeting: the old process stops, a new one takes over.
    await first.shutdown(0.1)
    second = world.dispatcher()
    await run(second, ams(23, 10, 30))
    assert world.reminders(ada) == []
    # 10:47, two minutes after the meeting: the reminder comes, once.
    await run(second, ams(23, 10, 47) + timedelta(seconds=1))
    await run(second, ams(23, 10, 48))
    await second.shutdown(0.1)
    await run(world.dispatcher(), ams(23, 10, 50))
    assert len(world.reminders(ada)) == 1
    [row] = await all_deliveries(world.db, ada.id)
    assert (row.slot_at, row.status) == (ams(23, 10), DeliveryStatus.SENT)

    # Disconnect with the button: tomorrow's 10:00 (in tomorrow's meeting) comes at 10:00.
    await world.say(ada, "/calendar")
    await world.press(ada, world.server.last_message(ada), "Disconnect calendar")
    assert "Calendar disconnected" in (world.server.last_message(ada).text or "")
    async with world.db.session() as session:
        assert await calendar_store.get(session, ada.id) is None
    third = world.dispatcher()
    for at in (ams(23, 13, 30), ams(23, 15, 30)):
        await run(third, at + timedelta(seconds=1))
    await run(third, ams(24, 10) + timedelta(seconds=1))
    sent = await all_deliveries(world.db, ada.id)
    assert [(d.slot_at, d.due_at, d.status) for d in sent][-1] == (
        ams(24, 10),
        ams(24, 10),
        DeliveryStatus.SENT,
    )
    assert len(world.reminders(ada)) == 4


async def test_a_slot_that_cannot_move_past_the_meeting_is_skipped_and_counted(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    # 10:00 and 10:30: the meeting ends at 10:45, past the next slot, so 10:00 is skipped.
    bea = await _subscriber(world, "Bea", ["10:00", "10:30", "16:00"])
    await calendars.connect(
        world.db, world.app.bot_data.settings, bea.id, world.base_url, now=clock()
    )
    busy_before = metrics.REMINDERS_RESCHEDULED.labels("busy")._value.get()
    dispatcher = world.dispatcher()
    report = await run(dispatcher, ams(23, 10) + timedelta(seconds=1))
    assert report.busy == 1
    assert metrics.REMINDERS_RESCHEDULED.labels("busy")._value.get() == busy_before + 1
    # 10:30 is also in the meeting; moved to 10:47 (before 16:00, within 90 minutes).
    await run(dispatcher, ams(23, 10, 30) + timedelta(seconds=1))
    await run(dispatcher, ams(23, 10, 47) + timedelta(seconds=1))
    rows = await all_deliveries(world.db, bea.id)
    assert [(r.slot_at, r.status) for r in rows] == [
        (ams(23, 10), DeliveryStatus.BUSY),
        (ams(23, 10, 30), DeliveryStatus.SENT),
    ]
    assert len(world.reminders(bea)) == 1


async def test_in_a_meeting_without_a_calendar_offers_15_30_60_minutes(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    cas = await _subscriber(world, "Cas")
    await run(world.dispatcher(), ams(23, 10) + timedelta(seconds=1))
    [reminder] = world.reminders(cas)
    clock.now = ams(23, 10, 2)
    record = await world.press(cas, reminder, "📅 In a meeting")
    assert record.answer_text == "When are you free?"
    edited = world.server.last_message(cas)
    labels = [b["text"] for row in edited.buttons for b in row]
    assert labels[:3] == ["15 min", "30 min", "60 min"]
    await world.press(cas, edited, "30 min")
    assert "again at 10:32" in (world.server.last_message(cas).text or "")
    snoozes = [d for d in await all_deliveries(world.db, cas.id) if d.kind == DeliveryKind.SNOOZE]
    assert [(s.due_at, s.status) for s in snoozes] == [(ams(23, 10, 32), DeliveryStatus.SCHEDULED)]
    dispatcher = world.dispatcher()
    await run(dispatcher, ams(23, 10, 32) + timedelta(seconds=1))
    assert len(world.server.messages(cas)) == 2  # the edited reminder and its return


async def test_in_a_meeting_with_a_calendar_returns_after_the_busy_block(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    dee = await _subscriber(world, "Dee", ["13:30", "16:00"])
    async with world.db.session() as session:
        chat_row = await session.get(Chat, dee.id)
        assert chat_row is not None
        chat_row.next_due_at = ams(23, 13, 30)
    await calendars.connect(
        world.db, world.app.bot_data.settings, dee.id, world.base_url, now=clock()
    )
    dispatcher = world.dispatcher()
    await run(dispatcher, ams(23, 13, 30) + timedelta(seconds=1))  # free at 13:30: sent
    [reminder] = world.reminders(dee)
    clock.now = ams(23, 13, 40)  # the review (13:35-14:10) has begun
    record = await world.press(dee, reminder, "📅 In a meeting")
    assert record.answer_text == "OK, I'll send it again at 14:12."
    async with world.db.session() as session:
        snooze = await session.scalar(
            select(Delivery).where(Delivery.chat_id == dee.id, Delivery.kind == DeliveryKind.SNOOZE)
        )
        assert snooze is not None and snooze.due_at.replace(tzinfo=UTC) == ams(23, 14, 12)
    await run(dispatcher, ams(23, 14, 12) + timedelta(seconds=1))
    assert len(world.server.messages(dee)) == 2  # the edited reminder and its return


async def test_no_reminder_after_a_break_done_shortly_before(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    eva = await _subscriber(world, "Eva", ["11:00", "11:30", "15:30"])
    async with world.db.session() as session:
        chat_row = await session.get(Chat, eva.id)
        assert chat_row is not None
        chat_row.next_due_at = ams(23, 11)
    dispatcher = world.dispatcher()
    await run(dispatcher, ams(23, 11) + timedelta(seconds=1))
    [reminder] = world.reminders(eva)
    clock.now = ams(23, 11, 5)
    await world.press(eva, reminder, "✅ Done")
    # 11:30 is within 45 minutes of that break: recorded as done, not sent.
    report = await run(dispatcher, ams(23, 11, 30) + timedelta(seconds=1))
    assert (report.reminders, report.done_before) == (0, 1)
    # 15:30 is not: it comes.
    await run(dispatcher, ams(23, 15, 30) + timedelta(seconds=1))
    rows = await all_deliveries(world.db, eva.id)
    assert [(r.slot_at, r.status) for r in rows] == [
        (ams(23, 11), DeliveryStatus.SENT),
        (ams(23, 11, 30), DeliveryStatus.DONE_BEFORE),
        (ams(23, 15, 30), DeliveryStatus.SENT),
    ]
    assert len(world.server.messages(eva)) == 2  # 11:00 (marked done) and 15:30


async def test_disconnecting_during_the_meeting_sends_the_waiting_reminder_at_once(
    world: World, clock: FakeClock
) -> None:
    clock.now = ams(23, 8)
    fay = await _connected(world, "Fay")
    dispatcher = world.dispatcher()
    await run(dispatcher, ams(23, 10) + timedelta(seconds=1))
    assert world.reminders(fay) == []
    clock.now = ams(23, 10, 10)
    assert await calendars.disconnect(world.db, fay.id, clock())
    await run(dispatcher, ams(23, 10, 10) + timedelta(seconds=1))
    [row] = await all_deliveries(world.db, fay.id)
    assert (row.slot_at, row.due_at, row.status) == (
        ams(23, 10),
        ams(23, 10, 10),
        DeliveryStatus.SENT,
    )
    assert len(world.reminders(fay)) == 1


# The morning meeting runs 30 minutes longer, to 11:15, after the 10:00 slot was moved to 10:47.
EXTENDED = MORNING_MEETING.replace("T104500", "T111500").encode()


async def _moved_to_10_47(world: World, clock: FakeClock, name: str) -> tuple[User, Dispatcher]:
    clock.now = ams(23, 8)
    user = await _subscriber(world, name)
    await calendars.connect(
        world.db, world.app.bot_data.settings, user.id, world.base_url, now=clock()
    )
    dispatcher = world.dispatcher()
    clock.now = ams(23, 10) + timedelta(seconds=2)
    assert (await run(dispatcher, clock())).moved == 1
    [row] = await all_deliveries(world.db, user.id)
    assert (row.due_at, row.status) == (ams(23, 10, 47), DeliveryStatus.SCHEDULED)
    return user, dispatcher


async def _refresh(world: World, clock: FakeClock) -> calendars.RefreshReport:
    parts = world.app.bot_data
    return await calendars.refresh_due(world.db, parts.outbox, parts.settings, clock)


async def test_a_meeting_extended_over_the_moved_time_moves_the_reminder_again_at_refresh(
    world: World, clock: FakeClock
) -> None:
    gus, dispatcher = await _moved_to_10_47(world, clock, "Gus")
    # 10:15: the organiser extends the meeting to 11:15; the 15-minute refresh reads it.
    world.feed.body = EXTENDED
    clock.now = ams(23, 10, 15)
    report = await _refresh(world, clock)
    assert (report.refreshed, report.moved_again, report.skipped) == (1, 1, 0)
    [row] = await all_deliveries(world.db, gus.id)
    assert (row.slot_at, row.due_at, row.status) == (
        ams(23, 10),
        ams(23, 11, 17),
        DeliveryStatus.SCHEDULED,
    )
    # 10:47 is inside the meeting now: nothing comes.
    clock.now = ams(23, 10, 47) + timedelta(seconds=1)
    await run(dispatcher, clock())
    assert world.reminders(gus) == []
    # 11:17, two minutes after the new end: the reminder comes, once, also across a restart.
    clock.now = ams(23, 11, 17) + timedelta(seconds=1)
    assert (await run(dispatcher, clock())).snoozes == 1
    await dispatcher.shutdown(0.1)
    clock.now = ams(23, 11, 20)
    await run(world.dispatcher(), clock())
    assert len(world.reminders(gus)) == 1
    [row] = await all_deliveries(world.db, gus.id)
    assert (row.slot_at, row.status) == (ams(23, 10), DeliveryStatus.SENT)
    numbers = await overview(world.db, clock())
    assert (numbers.moved_today, numbers.busy_today) == (1, 0)


async def test_a_meeting_extended_past_the_window_skips_the_moved_reminder_and_counts_it(
    world: World, clock: FakeClock
) -> None:
    hal, dispatcher = await _moved_to_10_47(world, clock, "Hal")
    world.feed.body = MORNING_MEETING.replace("T104500", "T114000").encode()  # free at 11:42
    busy_before = metrics.REMINDERS_RESCHEDULED.labels("busy")._value.get()
    clock.now = ams(23, 10, 15)
    report = await _refresh(world, clock)
    assert (report.moved_again, report.skipped) == (0, 1)  # 102 minutes after 10:00: too late
    assert metrics.REMINDERS_RESCHEDULED.labels("busy")._value.get() == busy_before + 1
    for at in (ams(23, 10, 47), ams(23, 11, 42)):
        clock.now = at + timedelta(seconds=1)
        await run(dispatcher, clock())
    assert world.reminders(hal) == []
    # The next slot, 13:30, is free and comes at its time.
    clock.now = ams(23, 13, 30) + timedelta(seconds=1)
    await run(dispatcher, clock())
    rows = await all_deliveries(world.db, hal.id)
    assert [(r.slot_at, r.status) for r in rows] == [
        (ams(23, 10), DeliveryStatus.BUSY),
        (ams(23, 13, 30), DeliveryStatus.SENT),
    ]
    assert len(world.reminders(hal)) == 1
    numbers = await overview(world.db, clock())
    assert (numbers.moved_today, numbers.busy_today) == (0, 1)


async def test_a_moved_reminder_that_comes_due_in_a_meeting_is_moved_again_when_due(
    world: World, clock: FakeClock
) -> None:
    ivy, dispatcher = await _moved_to_10_47(world, clock, "Ivy")
    # Busy time stored without the refresh's check (as by an older process): the extended
    # meeting is only noticed when the moved reminder comes due.
    async with world.db.session() as session:
        await calendar_store.record_success(
            session, ivy.id, [(ams(23, 9, 30), ams(23, 11, 15))], ams(23, 10, 15)
        )
    clock.now = ams(23, 10, 47) + timedelta(seconds=1)
    report = await run(dispatcher, clock())
    assert (report.snoozes, report.moved_again) == (0, 1)
    assert world.reminders(ivy) == []
    [row] = await all_deliveries(world.db, ivy.id)
    assert (row.due_at, row.status, row.claimed_by) == (
        ams(23, 11, 17),
        DeliveryStatus.SCHEDULED,
        None,
    )
    for at in (ams(23, 11, 17), ams(23, 11, 18)):
        clock.now = at + timedelta(seconds=1)
        await run(dispatcher, clock())
    assert len(world.reminders(ivy)) == 1


@pytest.mark.parametrize(
    ("command", "reply"),
    [("/stop", "Stopped"), ("/pause 1 day", "Paused. Your next stretch break: Tue 24 Nov 10:00")],
)
async def test_a_reminder_waiting_for_a_meeting_to_end_is_dropped_by_stop_or_pause(
    world: World, clock: FakeClock, command: str, reply: str
) -> None:
    """Stopped or paused while the 10:00 reminder waits for the meeting to end: it does not
    come at 10:47 (nor does anything else until the pause ends), and its row says why."""
    clock.now = ams(23, 8)
    cas = await _connected(world, "Cas", onboarded=True)
    dispatcher = world.dispatcher()
    await run(dispatcher, ams(23, 10) + timedelta(seconds=1))
    [row] = await all_deliveries(world.db, cas.id)
    assert (row.due_at, row.status) == (ams(23, 10, 47), DeliveryStatus.SCHEDULED)
    clock.now = ams(23, 10, 20)
    await world.say(cas, command)
    assert reply in (world.server.last_message(cas).text or "")
    await run(dispatcher, ams(23, 10, 47) + timedelta(seconds=1))
    await run(dispatcher, ams(23, 15, 30) + timedelta(seconds=1))
    assert world.reminders(cas) == []
    [row] = await all_deliveries(world.db, cas.id)
    assert row.status == DeliveryStatus.CANCELLED


async def test_settings_show_the_reminder_moved_past_the_meeting_as_the_next_one(
    world: World, clock: FakeClock
) -> None:
    """10:20, the 10:00 reminder waits for the meeting to end: /settings says it comes at
    10:47, not that the next one is at 13:30."""
    clock.now = ams(23, 8)
    dan = await _connected(world, "Dan", onboarded=True)
    await run(world.dispatcher(), ams(23, 10) + timedelta(seconds=1))
    clock.now = ams(23, 10, 20)
    await world.say(dan, "/settings")
    screen = world.server.last_message(dan).text or ""
    assert "Mon 23 Nov 10:47 (moved to after your meeting)" in screen
    await run(world.dispatcher(), ams(23, 10, 47) + timedelta(seconds=1))
    await world.say(dan, "/settings")  # sent: the schedule's next moment again
    screen = world.server.last_message(dan).text or ""
    assert "Mon 23 Nov 13:30" in screen and "moved" not in screen
