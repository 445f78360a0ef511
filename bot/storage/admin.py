"""Queries for the people who run the bot: subscriber and delivery counts."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, and_, case, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Chat, Completion, Delivery, DeliveryKind, DeliveryStatus


def receiving(now: datetime) -> ColumnElement[bool]:
    """Chats that get reminders now: subscribed, deliverable, not paused."""
    return and_(
        Chat.active.is_(True),
        Chat.blocked.is_(False),
        or_(Chat.paused_until.is_(None), Chat.paused_until <= now),
    )


async def count_chats(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Chat)) or 0)


async def count_active(session: AsyncSession, now: datetime) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Chat).where(receiving(now))) or 0
    )


def _sent_reminder() -> ColumnElement[bool]:
    return and_(Delivery.kind == DeliveryKind.REMINDER, Delivery.sent_at.is_not(None))


async def reminders_sent_since(session: AsyncSession, since: datetime) -> int:
    """Reminders Telegram accepted (sent_at is set) since `since`."""
    stmt = (
        select(func.count())
        .select_from(Delivery)
        .where(_sent_reminder(), Delivery.sent_at >= since)
    )
    return int(await session.scalar(stmt) or 0)


async def reminders_completed_since(session: AsyncSession, since: datetime) -> int:
    """Of those, how many someone marked done."""
    stmt = (
        select(func.count(distinct(Completion.delivery_id)))
        .join(Delivery, Delivery.id == Completion.delivery_id)
        .where(_sent_reminder(), Delivery.sent_at >= since)
    )
    return int(await session.scalar(stmt) or 0)


async def reminders_rescheduled_since(session: AsyncSession, since: datetime) -> tuple[int, int]:
    """Reminder slots since `since` that a meeting changed (issue 19): (moved, skipped).

    Moved: sent, or still waiting, later than their slot (their row's due_at is past the
    slot); skipped: they fell in a meeting they could not move past (status busy). Counted
    from the delivery rows by slot time, so the figures survive a restart, unlike the
    Prometheus counter of the same outcomes."""
    busy = Delivery.status == DeliveryStatus.BUSY
    moved = and_(~busy, Delivery.due_at > Delivery.slot_at)
    stmt = select(
        func.coalesce(func.sum(case((moved, 1), else_=0)), 0),
        func.coalesce(func.sum(case((busy, 1), else_=0)), 0),
    ).where(Delivery.kind == DeliveryKind.REMINDER, Delivery.slot_at >= since)
    row = (await session.execute(stmt)).one()
    return int(row[0]), int(row[1])
