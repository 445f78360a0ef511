"""The calendar refresh job (issue 19): chats with a reminder coming up are re-read a few at
a time; a slow calendar holds up no other; repeated failures are told to the user once, and
the stored busy time is kept. Real HTTP on loopback (the calendar server and the Bot API
stand-in); the clock is injected."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp import web

from bot.calendar.secrets import UrlCipher
from bot.config import Settings
from bot.sandbox.server import BotAPIServer
from bot.services import calendars
from bot.storage import calendars as store
from bot.storage.db import Database
from tests.calendar_kit import calendar_bot
from tests.conftest import FakeClock
from tests.reminder_kit import add_chat

T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
ICS = (
    b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//t//EN\r\nBEGIN:VEVENT\r\nUID:a@t\r\n"
    b"DTSTART:20261123T090000Z\r\nDTEND:20261123T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
)


@dataclass
class CalendarServer:
    port: int = 0
    release: asyncio.Event = field(default_factory=asyncio.Event)
    five_waiting: asyncio.Event = field(default_factory=asyncio.Event)
    in_flight: int = 0
    most_in_flight: int = 0
    hits: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}/{path}"

    def app(self) -> web.Application:
        async def ok(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            return web.Response(body=ICS, content_type="text/calendar")

        async def slow(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            if self.in_flight == 5:
                self.five_waiting.set()
            try:
                await self.release.wait()
            finally:
                self.in_flight -= 1
            return web.Response(body=ICS, content_type="text/calendar")

        async def broken(request: web.Request) -> web.Response:
            self.hits.append(request.path)
            return web.Response(status=500)

        app = web.Application()
        app.router.add_get("/ok/{n}", ok)
        app.router.add_get("/slow/{n}", slow)
        app.router.add_get("/broken/{n}", broken)
        return app


@dataclass
class Setup:
    app: Any
    server: BotAPIServer
    calendar: CalendarServer
    settings: Settings


@pytest.fixture
async def setup(db: Database, clock: FakeClock, database_url: str) -> AsyncIterator[Setup]:
    clock.now = T0
    calendar = CalendarServer()
    async with calendar_bot(db, clock, database_url, calendar.app()) as bot:
        calendar.port = bot.calendar_port
        yield Setup(bot.app, bot.server, calendar, bot.settings)
        calendar.release.set()


async def _connected(setup: Setup, db: Database, name: str, path: str, due_in: timedelta) -> int:
    user = setup.server.add_user(name, started=True)
    await add_chat(db, user.id, next_due_at=T0 + due_in)
    assert setup.settings.secret_key is not None
    cipher = UrlCipher(setup.settings.secret_key.get_secret_value())
    async with db.session() as session:
        await store.connect(
            session,
            user.id,
            url_encrypted=cipher.encrypt(setup.calendar.url(path)),
            host="127.0.0.1",
        )
    return user.id


async def _busy(db: Database, chat_id: int) -> list[Any]:
    async with db.session() as session:
        return await store.busy_between(session, chat_id, T0, T0 + timedelta(days=2))


async def _refresh(setup: Setup, db: Database, clock: FakeClock) -> calendars.RefreshReport:
    parts = setup.app.bot_data
    return await calendars.refresh_due(db, parts.outbox, setup.settings, clock)


async def test_only_chats_with_a_reminder_coming_up_are_refreshed(
    setup: Setup, db: Database, clock: FakeClock
) -> None:
    soon = await _connected(setup, db, "Soon", "ok/1", timedelta(hours=1))
    later = await _connected(setup, db, "Later", "ok/2", timedelta(hours=9))
    report = await _refresh(setup, db, clock)
    assert (report.refreshed, report.failed) == (1, 0)
    assert setup.calendar.hits == ["/ok/1"]
    assert await _busy(db, soon) == [(T0 + timedelta(hours=1), T0 + timedelta(hours=2))]
    assert await _busy(db, later) == []
    # Within 15 minutes it is not read again.
    clock.advance(minutes=5)
    assert (await _refresh(setup, db, clock)).refreshed == 0
    clock.advance(minutes=10)
    assert (await _refresh(setup, db, clock)).refreshed == 1


async def test_a_slow_calendar_holds_up_no_other_and_at_most_five_are_read_at_once(
    setup: Setup, db: Database, clock: FakeClock
) -> None:
    slow = [await _connected(setup, db, f"S{n}", f"slow/{n}", timedelta(hours=1)) for n in range(7)]
    fast = await _connected(setup, db, "Fast", "ok/1", timedelta(hours=1))
    job = asyncio.create_task(_refresh(setup, db, clock))
    async with asyncio.timeout(10):
        await setup.calendar.five_waiting.wait()
    for _ in range(200):  # event-loop turns (not time): room for a sixth request to arrive
        await asyncio.sleep(0)
    assert setup.calendar.most_in_flight == 5 and not job.done()
    setup.calendar.release.set()
    report = await job
    assert (report.refreshed, report.failed) == (8, 0)
    assert setup.calendar.most_in_flight == 5
    for chat_id in (*slow, fast):
        assert len(await _busy(db, chat_id)) == 1


async def test_a_fast_calendar_is_stored_while_a_slow_one_is_still_being_read(
    setup: Setup, db: Database, clock: FakeClock
) -> None:
    await _connected(setup, db, "Slow", "slow/1", timedelta(hours=1))
    fast = await _connected(setup, db, "Fast", "ok/1", timedelta(hours=1))
    job = asyncio.create_task(_refresh(setup, db, clock))
    async with asyncio.timeout(10):
        while not await _busy(db, fast):  # noqa: ASYNC110 - the database is what is watched
            await asyncio.sleep(0.01)
    assert not job.done()  # the slow one is still on the wire
    setup.calendar.release.set()
    assert (await job).refreshed == 2


async def test_repeated_failures_are_told_once_and_the_busy_time_is_kept(
    setup: Setup, db: Database, clock: FakeClock
) -> None:
    chat_id = await _connected(setup, db, "Flaky", "broken/1", timedelta(hours=1))
    kept = [(T0 + timedelta(hours=1), T0 + timedelta(hours=2))]
    async with db.session() as session:
        await store.record_success(session, chat_id, kept, T0 - timedelta(hours=1))
    for _ in range(5):
        report = await _refresh(setup, db, clock)
        assert report.failed == 1
        clock.advance(minutes=15)
    notices = [
        m
        for m in setup.server.messages(chat_id)
        if "could not read your calendar" in (m.text or "")
    ]
    assert len(notices) == 1
    assert "last 3 times" in (notices[0].text or "")
    assert await _busy(db, chat_id) == kept
    async with db.session() as session:
        link = await store.get(session, chat_id)
        assert link is not None and (link.failures, link.last_error) == (5, "http_status")
