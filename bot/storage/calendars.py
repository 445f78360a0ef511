"""Queries on connected calendars and their busy intervals: the only SQL for those tables.

The address arrives here already encrypted; this module never sees it in clear.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.timemath import as_utc
from bot.storage.models import BusyInterval, CalendarLink, Chat, KeyValue

Interval = tuple[datetime, datetime]


async def get(session: AsyncSession, chat_id: int) -> CalendarLink | None:
    return await session.get(CalendarLink, chat_id)


async def connect(
    session: AsyncSession, chat_id: int, *, url_encrypted: str, host: str
) -> CalendarLink:
    """Store (or replace) the chat's calendar; a replaced calendar's busy time goes with it."""
    await disconnect(session, chat_id)
    link = CalendarLink(chat_id=chat_id, url_encrypted=url_encrypted, host=host, failures=0)
    session.add(link)
    await session.flush()
    return link


async def disconnect(session: AsyncSession, chat_id: int) -> bool:
    """Forget the calendar and its busy time; False when none was connected."""
    await session.execute(delete(BusyInterval).where(BusyInterval.chat_id == chat_id))
    result = await session.execute(delete(CalendarLink).where(CalendarLink.chat_id == chat_id))
    session.expire_all()
    return bool(getattr(result, "rowcount", 0))


async def record_success(
    session: AsyncSession, chat_id: int, intervals: Sequence[Interval], now: datetime
) -> None:
    """Replace the busy time with a fresh fetch's and clear the failure streak."""
    await session.execute(delete(BusyInterval).where(BusyInterval.chat_id == chat_id))
    if intervals:
        await session.execute(
            insert(BusyInterval),
            [{"chat_id": chat_id, "start_at": start, "end_at": end} for start, end in intervals],
        )
    await session.execute(
        update(CalendarLink)
        .where(CalendarLink.chat_id == chat_id)
        .values(
            last_ok_at=now,
            checked_at=now,
            failures=0,
            last_error=None,
            failure_notified_at=None,
        )
    )


async def record_failure(session: AsyncSession, chat_id: int, code: str, now: datetime) -> int:
    """Count a failed fetch; returns the failures in a row (0 when no calendar is connected).

    The stored busy time is kept: it is still the best knowledge until it runs out.
    """
    result = await session.execute(
        update(CalendarLink)
        .where(CalendarLink.chat_id == chat_id)
        .values(failures=CalendarLink.failures + 1, last_error=code[:32], checked_at=now)
        .returning(CalendarLink.failures)
    )
    failures = result.scalar_one_or_none()
    return int(failures or 0)


async def claim_failure_notice(session: AsyncSession, chat_id: int, now: datetime) -> bool:
    """True once per failure streak: the caller tells the user, nobody else will."""
    result = await session.execute(
        update(CalendarLink)
        .where(CalendarLink.chat_id == chat_id, CalendarLink.failure_notified_at.is_(None))
        .values(failure_notified_at=now)
    )
    return bool(getattr(result, "rowcount", 0))


async def busy_between(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime
) -> list[Interval]:
    """The chat's busy intervals overlapping [start, end), in order."""
    rows = await session.execute(
        select(BusyInterval.start_at, BusyInterval.end_at)
        .where(
            BusyInterval.chat_id == chat_id,
            BusyInterval.start_at < end,
            BusyInterval.end_at > start,
        )
        .order_by(BusyInterval.start_at)
    )
    return [(as_utc(s), as_utc(e)) for s, e in rows]


async def busy_for_chats(
    session: AsyncSession, chat_ids: Sequence[int], start: datetime, end: datetime
) -> dict[int, list[Interval]]:
    """Busy intervals overlapping [start, end) of many chats in one query (the dispatcher's
    batch): chat id -> intervals in order; chats without any are absent."""
    if not chat_ids:
        return {}
    rows = await session.execute(
        select(BusyInterval.chat_id, BusyInterval.start_at, BusyInterval.end_at)
        .where(
            BusyInterval.chat_id.in_(chat_ids),
            BusyInterval.start_at < end,
            BusyInterval.end_at > start,
        )
        .order_by(BusyInterval.chat_id, BusyInterval.start_at)
    )
    found: dict[int, list[Interval]] = {}
    for chat_id, s, e in rows:
        found.setdefault(int(chat_id), []).append((as_utc(s), as_utc(e)))
    return found


async def due_for_refresh(
    session: AsyncSession,
    *,
    checked_before: datetime,
    reminder_before: datetime,
    limit: int,
) -> list[int]:
    """Chats whose calendar was last checked before `checked_before` and whose next reminder
    is due before `reminder_before`, stalest first: the refresh job's batch."""
    rows = await session.scalars(
        select(CalendarLink.chat_id)
        .join(Chat, Chat.id == CalendarLink.chat_id)
        .where(
            or_(CalendarLink.checked_at.is_(None), CalendarLink.checked_at < checked_before),
            Chat.next_due_at.is_not(None),
            Chat.next_due_at < reminder_before,
        )
        .order_by(CalendarLink.checked_at.is_not(None), CalendarLink.checked_at)
        .limit(limit)
    )
    return list(rows)


def _waiting_key(chat_id: int) -> str:
    # Ends in ":<chat id>": /export lists it and /delete erases it with the chat's other state.
    return f"calendar_wait:{chat_id}"


async def expect_address(
    session: AsyncSession, chat_id: int, now: datetime, ttl: timedelta
) -> None:
    """The chat was asked for its address: its next message (within `ttl`) is the address."""
    key = _waiting_key(chat_id)
    await session.execute(delete(KeyValue).where(KeyValue.key == key))
    session.add(KeyValue(key=key, value="", expires_at=now + ttl))
    await session.flush()


async def take_expected(session: AsyncSession, chat_id: int, now: datetime) -> bool:
    """Was an address asked for and not yet given? Clears the question either way. Every
    private message passes here: a read by primary key, a write only when a question waits."""
    row = await session.get(KeyValue, _waiting_key(chat_id))
    if row is None:
        return False
    expires = row.expires_at
    await session.delete(row)
    return expires is not None and as_utc(expires) > now
