"""Numbers for the people who run the bot: the /admin overview and the active-subscriber
gauge. Plain functions over the database, callable without Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.db import Database
from bot.storage.models import Chat, Completion, Delivery

REMINDER = "reminder"


@dataclass(frozen=True)
class Overview:
    subscribers: int
    active: int
    sent_today: int
    sent_week: int
    completed_week: int

    @property
    def completion_rate(self) -> float | None:
        """Share of last week's reminders that someone marked done; None without reminders."""
        return self.completed_week / self.sent_week if self.sent_week else None


def receiving(now: datetime) -> ColumnElement[bool]:
    """Chats that get reminders now: subscribed, deliverable, not paused."""
    return and_(
        Chat.active.is_(True),
        Chat.blocked.is_(False),
        or_(Chat.paused_until.is_(None), Chat.paused_until <= now),
    )


async def count_active(session: AsyncSession, now: datetime) -> int:
    return int(
        await session.scalar(select(func.count()).select_from(Chat).where(receiving(now))) or 0
    )


async def overview(db: Database, now: datetime) -> Overview:
    """A reminder counts as sent once Telegram accepted it (sent_at is set)."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = now - timedelta(days=7)
    sent = and_(Delivery.kind == REMINDER, Delivery.sent_at.is_not(None))
    async with db.session() as session:
        subscribers = int(await session.scalar(select(func.count()).select_from(Chat)) or 0)
        active = await count_active(session, now)
        sent_today = await session.scalar(
            select(func.count()).select_from(Delivery).where(sent, Delivery.sent_at >= day_start)
        )
        sent_week = await session.scalar(
            select(func.count()).select_from(Delivery).where(sent, Delivery.sent_at >= week_start)
        )
        completed_week = await session.scalar(
            select(func.count(distinct(Completion.delivery_id)))
            .join(Delivery, Delivery.id == Completion.delivery_id)
            .where(sent, Delivery.sent_at >= week_start)
        )
    return Overview(
        subscribers=subscribers,
        active=active,
        sent_today=int(sent_today or 0),
        sent_week=int(sent_week or 0),
        completed_week=int(completed_week or 0),
    )
