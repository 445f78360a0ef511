"""Numbers for the people who run the bot: the /admin overview and the active-subscriber
gauge. Plain functions over the database, callable without Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.storage import admin as queries
from bot.storage.db import Database


@dataclass(frozen=True)
class Overview:
    subscribers: int
    active: int
    sent_today: int
    sent_week: int
    completed_week: int
    # Calendar-aware reminders (issue 19): moved past a meeting, or skipped in one.
    moved_today: int = 0
    busy_today: int = 0
    moved_week: int = 0
    busy_week: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Share of last week's reminders that someone marked done; None without reminders."""
        return self.completed_week / self.sent_week if self.sent_week else None


async def count_active(db: Database, now: datetime) -> int:
    async with db.session() as session:
        return await queries.count_active(session, now)


async def overview(db: Database, now: datetime) -> Overview:
    """A reminder counts as sent once Telegram accepted it (sent_at is set); moved and
    skipped slots count by their slot time. "Today" is the UTC day, as on the page."""
    day_start = now.replace(hour=0, minute=0, second=0, microsecond=0)
    week_start = now - timedelta(days=7)
    async with db.session() as session:
        moved_today, busy_today = await queries.reminders_rescheduled_since(session, day_start)
        moved_week, busy_week = await queries.reminders_rescheduled_since(session, week_start)
        return Overview(
            subscribers=await queries.count_chats(session),
            active=await queries.count_active(session, now),
            sent_today=await queries.reminders_sent_since(session, day_start),
            sent_week=await queries.reminders_sent_since(session, week_start),
            completed_week=await queries.reminders_completed_since(session, week_start),
            moved_today=moved_today,
            busy_today=busy_today,
            moved_week=moved_week,
            busy_week=busy_week,
        )
