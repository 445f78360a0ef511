"""Queries on completions: recording a done break, at most once per reminder and person."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.scheduling.timemath import as_utc
from bot.storage.models import Completion


async def record(
    session: AsyncSession,
    *,
    chat_id: int,
    user_id: int,
    now: datetime,
    source: str,
    delivery_id: int | None = None,
    exercise_id: str | None = None,
    user_name: str | None = None,
) -> bool:
    """Record a completion; False when this person already completed this reminder."""
    if delivery_id is not None:
        existing = await session.scalar(
            select(Completion.id).where(
                Completion.delivery_id == delivery_id, Completion.user_id == user_id
            )
        )
        if existing is not None:
            return False
    try:
        async with session.begin_nested():
            session.add(
                Completion(
                    chat_id=chat_id,
                    user_id=user_id,
                    delivery_id=delivery_id,
                    exercise_id=exercise_id,
                    source=source,
                    completed_at=now,
                    user_name=user_name[:64] if user_name else None,
                )
            )
    except IntegrityError:  # a concurrent press of the same button won the race
        return False
    return True


async def for_delivery(session: AsyncSession, delivery_id: int) -> list[tuple[int, str | None]]:
    """(user id, name) of everyone who completed this reminder, first presser first."""
    rows = await session.execute(
        select(Completion.user_id, Completion.user_name)
        .where(Completion.delivery_id == delivery_id)
        .order_by(Completion.completed_at, Completion.id)
    )
    return [(int(user_id), name) for user_id, name in rows]


async def in_period(
    session: AsyncSession, chat_id: int, start: datetime, end: datetime
) -> list[tuple[int, str | None, datetime]]:
    """(user id, name, when) of the chat's completions in [start, end), oldest first (uses
    ix_completions_chat_completed)."""
    rows = await session.execute(
        select(Completion.user_id, Completion.user_name, Completion.completed_at)
        .where(
            Completion.chat_id == chat_id,
            Completion.completed_at >= start,
            Completion.completed_at < end,
        )
        .order_by(Completion.completed_at, Completion.id)
    )
    return [(int(uid), name, at if at.tzinfo else at.replace(tzinfo=UTC)) for uid, name, at in rows]


async def known_names(session: AsyncSession, chat_id: int, user_ids: list[int]) -> dict[int, str]:
    """The latest name each of these people pressed Done with in this chat (a break done
    from /exercise in an older version carries none)."""
    if not user_ids:
        return {}
    rows = await session.execute(
        select(Completion.user_id, Completion.user_name)
        .where(
            Completion.chat_id == chat_id,
            Completion.user_id.in_(user_ids),
            Completion.user_name.is_not(None),
        )
        .order_by(Completion.completed_at, Completion.id)
    )
    return {int(uid): name for uid, name in rows if name}


async def done_since(
    session: AsyncSession,
    chat_id: int,
    user_id: int,
    exercise_id: str,
    source: str,
    since: datetime,
) -> bool:
    """Whether this person recorded this exercise from this source after `since` (a second
    press of the same Done button is the same completion)."""
    found = await session.scalar(
        select(Completion.id).where(
            Completion.chat_id == chat_id,
            Completion.user_id == user_id,
            Completion.exercise_id == exercise_id,
            Completion.source == source,
            Completion.completed_at > since,
        )
    )
    return found is not None


async def last_done(
    session: AsyncSession, chat_ids: Sequence[int], since: datetime
) -> dict[int, datetime]:
    """The latest break done in each chat since `since`, in one query (the dispatcher's batch:
    a break done shortly before a slot replaces its reminder)."""
    if not chat_ids:
        return {}
    rows = await session.execute(
        select(Completion.chat_id, func.max(Completion.completed_at))
        .where(Completion.chat_id.in_(chat_ids), Completion.completed_at >= since)
        .group_by(Completion.chat_id)
    )
    return {int(chat_id): as_utc(at) for chat_id, at in rows if at is not None}
