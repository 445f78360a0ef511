"""Queries on chats: the only place that reads or writes the chats table directly."""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Chat, Completion, Delivery


async def get(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def get_for_update(session: AsyncSession, chat_id: int) -> Chat | None:
    result = await session.execute(select(Chat).where(Chat.id == chat_id).with_for_update())
    return result.scalar_one_or_none()


async def add(session: AsyncSession, chat: Chat) -> Chat:
    session.add(chat)
    await session.flush()
    return chat


async def mark_blocked(session: AsyncSession, chat_id: int) -> None:
    """Telegram will not deliver to this chat: stop scheduling it until /start."""
    await session.execute(
        update(Chat).where(Chat.id == chat_id).values(blocked=True, next_due_at=None)
    )


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
    await session.execute(delete(Chat).where(Chat.id == old_id))
    return True
