"""The one read the capacity model needs: every subscribed chat's schedule, grouped in SQL.

Most chats share a schedule, so GROUP BY hands back far fewer rows than there are chats. The
times column is JSON, which PostgreSQL cannot compare; it is grouped as its text (the bot
writes it one way, so equal lists are equal text) and parsed by the model. A pause that has
already ended reads as no pause, so ended pauses do not split the groups.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

from sqlalchemy import Text, case, cast, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Chat

# (times as JSON text, weekday mask, timezone, paused_until or None, number of chats):
# bot.scheduling.capacity.ScheduleRow
ScheduleRow = tuple[str, int, str, datetime | None, int]


async def schedules(
    session: AsyncSession, now: datetime, *, batch: int = 10_000
) -> AsyncIterator[ScheduleRow]:
    """Stream the schedules of active, unblocked chats with how many chats have each."""
    times = cast(Chat.times, Text)
    pause = case((Chat.paused_until > now, Chat.paused_until), else_=None)
    query = (
        select(times, Chat.days, Chat.timezone, pause, func.count())
        .where(Chat.active.is_(True), Chat.blocked.is_(False))
        .group_by(times, Chat.days, Chat.timezone, pause)
        .execution_options(yield_per=batch)
    )
    result = await session.stream(query)
    async for times_text, days, timezone, paused_until, count in result:
        yield times_text, days, timezone, paused_until, count
