"""Queries on chats: the only place that reads or writes the chats table directly."""

from __future__ import annotations

from sqlalchemy import ColumnElement, delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import (
    Chat,
    Completion,
    Delivery,
    DeliveryStatus,
    DigestSchedule,
    KeyValue,
)


async def get(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def get_for_update(session: AsyncSession, chat_id: int) -> Chat | None:
    result = await session.execute(select(Chat).where(Chat.id == chat_id).with_for_update())
    return result.scalar_one_or_none()


async def add(session: AsyncSession, chat: Chat) -> Chat:
    session.add(chat)
    await session.flush()
    return chat


async def add_new(session: AsyncSession, chat: Chat) -> Chat | None:
    """Insert the chat; None when a row with its id exists already (a concurrent insert)."""
    try:
        async with session.begin_nested():
            session.add(chat)
    except IntegrityError:
        return None
    return chat


async def mark_unreachable(session: AsyncSession, chat_id: int) -> bool:
    """Telegram will not deliver to this chat (blocked the bot, deleted, removed it from the
    group): no further reminders, waiting snoozes cancelled, summaries and nudges off, until
    /start. The one place that decides what "unreachable" means. False for an unknown chat."""
    result = await session.execute(
        update(Chat).where(Chat.id == chat_id).values(blocked=True, next_due_at=None)
    )
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status == DeliveryStatus.SCHEDULED)
        .values(status=DeliveryStatus.CANCELLED)
    )
    await session.execute(delete(DigestSchedule).where(DigestSchedule.chat_id == chat_id))
    return bool(getattr(result, "rowcount", 0))


async def migrate(session: AsyncSession, old_id: int, new_id: int) -> bool:
    """Move a group's subscription to its new supergroup id, keeping settings and history.

    False when there is nothing to move (already migrated). If the new id was registered in
    the meantime, the old settings win: they are what the group chose.
    """
    old = await get_for_update(session, old_id)
    if old is None or old_id == new_id:
        return False
    settings = {
        column.key: getattr(old, column.key)
        for column in Chat.__table__.columns
        if column.key not in ("id", "created_at", "updated_at")
    }
    settings["type"] = "supergroup"
    new = await get_for_update(session, new_id)
    if new is None:
        session.add(Chat(id=new_id, created_at=old.created_at, **settings))
    else:
        for key, value in settings.items():
            setattr(new, key, value)
    await session.flush()
    # Move the history; a slot the new id already has stays with the old row and goes.
    other = Delivery.__table__.alias("other")
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == old_id)
        .where(
            ~select(other.c.id)
            .where(
                other.c.chat_id == new_id,
                other.c.slot_at == Delivery.slot_at,
                other.c.kind == Delivery.kind,
            )
            .exists()
        )
        .values(chat_id=new_id)
        .execution_options(synchronize_session=False)
    )
    await session.execute(
        update(Completion).where(Completion.chat_id == old_id).values(chat_id=new_id)
    )
    await _move_state(session, old_id, new_id)
    await _move_digests(session, old_id, new_id)
    await session.execute(delete(Chat).where(Chat.id == old_id))
    return True


async def _move_state(session: AsyncSession, old_id: int, new_id: int) -> None:
    """Conversation state (``<area>:<chat_id>`` keys) follows the chat, so an onboarding or a
    settings dialog in progress continues in the supergroup; the old chat's value wins."""
    suffix = f":{old_id}"
    rows = await session.scalars(select(KeyValue).where(KeyValue.key.like(f"%{suffix}")))
    for row in list(rows):
        new_key = row.key[: -len(suffix)] + f":{new_id}"
        target = await session.get(KeyValue, new_key)
        if target is None:
            session.add(KeyValue(key=new_key, value=row.value, expires_at=row.expires_at))
        else:
            target.value, target.expires_at = row.value, row.expires_at
        await session.delete(row)
    await session.flush()


async def _move_digests(session: AsyncSession, old_id: int, new_id: int) -> None:
    """Scheduled summaries and nudges follow the chat (the old rows would cascade away)."""
    rows = await session.scalars(select(DigestSchedule).where(DigestSchedule.chat_id == old_id))
    for row in list(rows):
        target = await session.get(DigestSchedule, (new_id, row.kind))
        if target is None:
            session.add(DigestSchedule(chat_id=new_id, kind=row.kind, due_at=row.due_at))
        else:
            target.due_at = row.due_at
        await session.delete(row)
    await session.flush()


def _broadcast_recipient() -> ColumnElement[bool]:
    return (Chat.type == "private") & Chat.active.is_(True) & Chat.blocked.is_(False)


async def count_broadcast_recipients(session: AsyncSession) -> int:
    """Private chats that are subscribed and reachable."""
    stmt = select(func.count()).select_from(Chat).where(_broadcast_recipient())
    return int(await session.scalar(stmt) or 0)


async def broadcast_recipients(session: AsyncSession, after: int | None, limit: int) -> list[int]:
    """The next `limit` recipients' chat ids after `after`, in id order (a resumable cursor)."""
    query = select(Chat.id).where(_broadcast_recipient()).order_by(Chat.id).limit(limit)
    if after is not None:
        query = query.where(Chat.id > after)
    return list(await session.scalars(query))
