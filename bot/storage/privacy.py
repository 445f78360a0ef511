"""Everything stored about one chat and its user: read it all (/export) or erase it all
(/delete), in one transaction.

A user's data is more than their chat's rows: their completions in groups carry their user id
and first name, and a broadcast draft or run carries an admin's chat id. `PERSONAL_COLUMNS`
lists every column by which rows are found here; tests/integration/test_privacy_coverage.py
fails when a table gains a column that can hold a user id or name and is not in it (or in the
test's list of columns that cannot), so a new table cannot be forgotten."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import DeclarativeBase

from bot.storage.models import (
    BusyInterval,
    CalendarLink,
    Chat,
    Completion,
    Delivery,
    DigestSchedule,
    KeyValue,
)

#: "table.column" for every column that can hold a user's (or chat's) id or name; export_rows
#: and erase select by each of them.
PERSONAL_COLUMNS = frozenset(
    {
        "chats.id",
        "deliveries.chat_id",
        "completions.chat_id",
        "completions.user_id",
        "completions.user_name",  # found through completions.user_id
        "digest_schedule.chat_id",
        "state.key",  # conversation state: "<area>:<chat id>"
        "state.value",  # broadcast drafts and runs: {"admin_chat": <chat id>, ...}
        "calendars.chat_id",
        "busy_intervals.chat_id",
    }
)
#: About the server, not the user: left out of an export (worker host name and process id).
SERVER_COLUMNS = frozenset({"deliveries.claimed_by"})


def _row(obj: DeclarativeBase) -> dict[str, Any]:
    out: dict[str, Any] = {}
    table = obj.__table__.name  # type: ignore[attr-defined]
    for column in obj.__table__.columns:
        if f"{table}.{column.key}" in SERVER_COLUMNS:
            continue
        value = getattr(obj, column.key)
        out[column.key] = value.isoformat() if isinstance(value, (datetime, date)) else value
    return out


def _state_keys(chat_id: int) -> Any:
    return or_(
        KeyValue.key.like(f"%:{chat_id}"),
        KeyValue.value.like(f'%"admin_chat": {chat_id},%'),
        KeyValue.value.like(f'%"admin_chat": {chat_id}}}%'),
    )


def _completions(chat_id: int) -> Any:
    """The chat's completions, and the user's own in groups (user id and first name)."""
    return or_(Completion.chat_id == chat_id, Completion.user_id == chat_id)


async def export_rows(session: AsyncSession, chat_id: int) -> dict[str, Any] | None:
    """All rows about the chat as plain JSON-ready dicts; None when nothing is stored."""
    chat = await session.get(Chat, chat_id)
    deliveries = list(
        await session.scalars(
            select(Delivery).where(Delivery.chat_id == chat_id).order_by(Delivery.id)
        )
    )
    completions = list(
        await session.scalars(
            select(Completion).where(_completions(chat_id)).order_by(Completion.id)
        )
    )
    digests = list(
        await session.scalars(select(DigestSchedule).where(DigestSchedule.chat_id == chat_id))
    )
    state = list(await session.scalars(select(KeyValue).where(_state_keys(chat_id))))
    calendar = await session.get(CalendarLink, chat_id)
    busy = list(
        await session.scalars(
            select(BusyInterval)
            .where(BusyInterval.chat_id == chat_id)
            .order_by(BusyInterval.start_at)
        )
    )
    if chat is None and not (deliveries or completions or digests or state or calendar or busy):
        return None
    return {
        "chat": None if chat is None else _row(chat),
        "deliveries": [_row(d) for d in deliveries],
        "completions": [_row(c) for c in completions],
        "digest_schedule": [_row(d) for d in digests],
        "conversation_state": [_row(s) for s in state],
        # The address is a secret even from its owner's export file (it may be forwarded):
        # only the host says which calendar is connected.
        "calendar": {"host": calendar.host} if calendar is not None else None,
        "busy_intervals": [_row(b) for b in busy],
    }


async def erase(session: AsyncSession, chat_id: int) -> bool:
    """Delete every row about the chat and its user, children first (no reliance on
    cascades); True when anything was deleted."""
    removed = 0
    for statement in (
        delete(Completion).where(_completions(chat_id)),
        delete(Delivery).where(Delivery.chat_id == chat_id),
        delete(DigestSchedule).where(DigestSchedule.chat_id == chat_id),
        delete(KeyValue).where(_state_keys(chat_id)),
        delete(BusyInterval).where(BusyInterval.chat_id == chat_id),
        delete(CalendarLink).where(CalendarLink.chat_id == chat_id),
        delete(Chat).where(Chat.id == chat_id),
    ):
        result = await session.execute(statement)
        removed += int(getattr(result, "rowcount", 0) or 0)
    return removed > 0
