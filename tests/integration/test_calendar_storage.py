"""The calendars tables through their repository, /export and /delete, on SQLite and
PostgreSQL (TEST_DATABASE_URL)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from cryptography.fernet import Fernet
from sqlalchemy import func, select

from bot.calendar.fetch import host_of
from bot.calendar.secrets import UrlCipher
from bot.services.privacy import erase_chat, export_document
from bot.storage import calendars
from bot.storage.db import Database
from bot.storage.models import BusyInterval, CalendarLink, Chat

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
URL = "https://calendar.example.org/ical/private-9f8e7d6c5b4a39281706/basic.ics"


def at(hours: float) -> datetime:
    return NOW + timedelta(hours=hours)


async def add_chat(db: Database, chat_id: int, next_due_at: datetime | None = None) -> None:
    async with db.session() as session:
        session.add(Chat(id=chat_id, times=["10:00"], next_due_at=next_due_at))


async def connect(db: Database, chat_id: int, cipher: UrlCipher, url: str = URL) -> None:
    async with db.session() as session:
        await calendars.connect(
            session, chat_id, url_encrypted=cipher.encrypt(url), host=host_of(url)
        )


async def test_connect_refresh_fail_and_disconnect(db: Database) -> None:
    cipher = UrlCipher(Fernet.generate_key())
    await add_chat(db, 1)
    await connect(db, 1, cipher)
    busy = [(at(1), at(2)), (at(3), at(3.5)), (at(30), at(31))]
    async with db.session() as session:
        await calendars.record_success(session, 1, busy, NOW)
    async with db.session() as session:
        link = await calendars.get(session, 1)
        assert link is not None
        assert cipher.decrypt(link.url_encrypted) == URL and link.host == "calendar.example.org"
        assert (link.last_ok_at, link.checked_at, link.failures) == (NOW, NOW, 0)
        assert await calendars.busy_between(session, 1, at(0), at(24)) == busy[:2]
        # Overlap, not containment: the interval running at 01:30 is found from 01:30.
        assert await calendars.busy_between(session, 1, at(1.5), at(3.1)) == busy[:2]
        assert await calendars.busy_between(session, 1, at(2), at(3)) == []

    async with db.session() as session:
        assert await calendars.record_failure(session, 1, "timeout", at(0.25)) == 1
        assert await calendars.record_failure(session, 1, "http_status", at(0.5)) == 2
        assert await calendars.claim_failure_notice(session, 1, at(0.5)) is True
        assert await calendars.claim_failure_notice(session, 1, at(0.75)) is False
        assert await calendars.record_failure(session, 2, "timeout", NOW) == 0  # none connected
    async with db.session() as session:
        link = await calendars.get(session, 1)
        assert link is not None
        assert (link.failures, link.last_error, link.checked_at) == (2, "http_status", at(0.5))
        assert link.last_ok_at == NOW  # the busy time it has is still from then
        assert len(await calendars.busy_between(session, 1, NOW, at(48))) == 3

    async with db.session() as session:
        await calendars.record_success(session, 1, [(at(5), at(6))], at(1))
    async with db.session() as session:
        link = await calendars.get(session, 1)
        assert link is not None and (link.failures, link.last_error) == (0, None)
        assert link.failure_notified_at is None  # a new failure streak will be told again
        assert await calendars.busy_between(session, 1, NOW, at(48)) == [(at(5), at(6))]

    await connect(db, 1, cipher, URL.replace("private-", "other-"))  # replaces, forgets busy
    async with db.session() as session:
        link = await calendars.get(session, 1)
        assert link is not None and link.last_ok_at is None
        assert await calendars.busy_between(session, 1, NOW, at(48)) == []
        await calendars.record_success(session, 1, [(at(5), at(6))], at(1))
    async with db.session() as session:
        assert await calendars.disconnect(session, 1) is True
        assert await calendars.disconnect(session, 1) is False
    async with db.session() as session:
        assert await calendars.get(session, 1) is None
        assert await session.scalar(select(func.count()).select_from(BusyInterval)) == 0


async def test_refresh_batch_is_stale_calendars_with_a_reminder_soon(db: Database) -> None:
    cipher = UrlCipher(Fernet.generate_key())
    for chat_id, due in [(1, at(1)), (2, at(2)), (3, at(10)), (4, None), (5, at(0.5))]:
        await add_chat(db, chat_id, due)
        await connect(db, chat_id, cipher)
    await add_chat(db, 6, at(1))  # no calendar
    async with db.session() as session:
        await calendars.record_success(session, 2, [], at(-1))  # checked an hour ago
        await calendars.record_success(session, 5, [], at(-0.1))  # checked just now
        await calendars.record_failure(session, 1, "timeout", at(-0.5))
    async with db.session() as session:
        due = await calendars.due_for_refresh(
            session, checked_before=at(-0.25), reminder_before=at(4), limit=10
        )
        # Never checked first (none here besides 1's failure), then the stalest.
        assert due == [2, 1]
        assert await calendars.due_for_refresh(
            session, checked_before=at(-0.25), reminder_before=at(4), limit=1
        ) == [2]


async def test_export_lists_the_host_only_and_delete_erases_the_calendar(db: Database) -> None:
    cipher = UrlCipher(Fernet.generate_key())
    await add_chat(db, 7)
    await connect(db, 7, cipher)
    async with db.session() as session:
        await calendars.record_success(session, 7, [(at(1), at(2))], NOW)
        token = (await calendars.get(session, 7)).url_encrypted  # type: ignore[union-attr]

    document = await export_document(db, 7, NOW)
    assert document is not None
    text = document.decode()
    assert "private-9f8e7d6c5b4a39281706" not in text and token not in text
    data = json.loads(text)
    assert data["calendar"] == {"host": "calendar.example.org"}
    assert [(b["start_at"], b["end_at"]) for b in data["busy_intervals"]] == [
        (at(1).isoformat(), at(2).isoformat())
    ]

    assert await erase_chat(db, 7) is True
    async with db.session() as session:
        for model in (CalendarLink, BusyInterval):
            assert await session.scalar(select(func.count()).select_from(model)) == 0


async def test_export_without_a_calendar(db: Database) -> None:
    await add_chat(db, 8)
    document = await export_document(db, 8, NOW)
    assert document is not None
    data = json.loads(document)
    assert data["calendar"] is None and data["busy_intervals"] == []
