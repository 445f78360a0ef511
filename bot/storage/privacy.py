"""Everything stored about one chat: read it all (/export) or erase it all (/delete)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from bot.storage.models import BusyInterval, CalendarLink, Chat, Completion, Delivery, KeyValue


def _row(obj: DeclarativeBase) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in obj.__table__.columns:
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, (datetime, date)) else value
    return out


def _state_keys(chat_id: int) -> Any:
    return KeyValue.key.like(f"%:{chat_id}")


async def export_rows(session: AsyncSession, chat_id: int) -> dict[str, Any] | None:
    """All rows about the chat as plain JSON-ready dicts; None when nothing is stored."""
    chat = await session.get(Chat, chat_id)
    if chat is None:
        return None
    deliveries = await session.scalars(
        select(Delivery).where(Delivery.chat_id == chat_id).order_by(Delivery.id)
    )
    completions = await session.scalars(
        select(Completion).where(Completion.chat_id == chat_id).order_by(Completion.id)
    )
    state = await session.scalars(select(KeyValue).where(_state_keys(chat_id)))
    calendar = await session.get(CalendarLink, chat_id)
    busy = await session.scalars(
        select(BusyInterval).where(BusyInterval.chat_id == chat_id).order_by(BusyInterval.start_at)
    )
    return {
        "chat": _row(chat),
        "deliveries": [_row(d) for d in deliveries],
        "completions": [_row(c) for c in completions],
        "conversation_state": [_row(s) for s in state],
        # The address is a secret even from its owner's export file (it may be forwarded):
        # only the host says which calendar is connected.
        "calendar": {"host": calendar.host} if calendar is not None else None,
        "busy_intervals": [_row(b) for b in busy],
    }


async def erase(session: AsyncSession, chat_id: int) -> bool:
    """Delete every row about the chat, children first (no reliance on cascades)."""
    await session.execute(delete(Completion).where(Completion.chat_id == chat_id))
    await session.execute(delete(Delivery).where(Delivery.chat_id == chat_id))
    await session.execute(delete(KeyValue).where(_state_keys(chat_id)))
    await session.execute(delete(BusyInterval).where(BusyInterval.chat_id == chat_id))
    await session.execute(delete(CalendarLink).where(CalendarLink.chat_id == chat_id))
    result = await session.execute(delete(Chat).where(Chat.id == chat_id))
    return bool(getattr(result, "rowcount", 0))
