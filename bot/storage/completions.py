"""Queries on completions: recording a done break, at most once per reminder and person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

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
                )
            )
    except IntegrityError:  # a concurrent press of the same button won the race
        return False
    return True
