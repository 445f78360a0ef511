"""Queries for progress: completion and reminder instants of one chat, and the digest
schedule (the delivery rows of summaries and nudges are in bot.storage.deliveries)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.timemath import as_utc
from bot.storage.models import Completion, Delivery, DeliveryKind, DeliveryStatus, DigestSchedule


async def completion_instants(
    session: AsyncSession, chat_id: int, user_id: int, since: datetime | None = None
) -> list[datetime]:
    """When this person completed a break in this chat (uses ix_completions_chat_completed)."""
    query = select(Completion.completed_at).where(
        Completion.chat_id == chat_id, Completion.user_id == user_id
    )
    if since is not None:
        query = query.where(Completion.completed_at >= since)
    rows = await session.scalars(query.order_by(Completion.completed_at))
    return [as_utc(value) for value in rows]


async def count_completions(
    session: AsyncSession, chat_id: int, user_id: int, start: datetime, end: datetime
) -> int:
    """Breaks done in [start, end): today's count for the nudge, without loading history."""
    count = await session.scalar(
        select(func.count()).where(
            Completion.chat_id == chat_id,
            Completion.user_id == user_id,
            Completion.completed_at >= start,
            Completion.completed_at < end,
        )
    )
    return int(count or 0)


async def reminder_instants(
    session: AsyncSession, chat_id: int, since: datetime | None = None
) -> list[datetime]:
    """Slots of reminders that actually went out (or were replaced by a break done just
    before): the record of which days were reminded."""
    query = select(Delivery.slot_at).where(
        Delivery.chat_id == chat_id,
        Delivery.kind == DeliveryKind.REMINDER,
        # A slot replaced by a break done shortly before was a scheduled slot all the same; a
        # slot skipped for a meeting (BUSY) was not: a day of only those is excused.
        Delivery.status.in_((DeliveryStatus.SENT, DeliveryStatus.DONE_BEFORE)),
    )
    if since is not None:
        query = query.where(Delivery.slot_at >= since)
    rows = await session.scalars(query)
    return [as_utc(value) for value in rows]


async def due_digests(session: AsyncSession, now: datetime, limit: int) -> list[DigestSchedule]:
    """The earliest due summary and nudge rows, through ix_digest_schedule_due_at."""
    rows = await session.scalars(
        select(DigestSchedule)
        .where(DigestSchedule.due_at <= now)
        .order_by(DigestSchedule.due_at)
        .limit(limit)
    )
    return list(rows)


async def set_digest_due(
    session: AsyncSession, chat_id: int, kind: str, due_at: datetime | None
) -> None:
    """Schedule (or, with None, unschedule) a chat's summary or nudge."""
    row = await session.get(DigestSchedule, (chat_id, kind))
    if due_at is None:
        if row is not None:
            await session.delete(row)
        return
    if row is None:
        session.add(DigestSchedule(chat_id=chat_id, kind=kind, due_at=due_at))
    else:
        row.due_at = due_at
    await session.flush()


async def set_digests_due(
    session: AsyncSession, chat_id: int, dues: Mapping[str, datetime | None]
) -> None:
    for kind, due in dues.items():
        await set_digest_due(session, chat_id, kind, due)


async def unschedule(session: AsyncSession, chat_id: int, kind: str) -> None:
    await session.execute(
        delete(DigestSchedule).where(DigestSchedule.chat_id == chat_id, DigestSchedule.kind == kind)
    )
