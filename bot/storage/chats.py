"""Queries on chats: the only place that reads or writes the chats table directly."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import Chat


async def get(session: AsyncSession, chat_id: int) -> Chat | None:
    return await session.get(Chat, chat_id)


async def get_for_update(session: AsyncSession, chat_id: int) -> Chat | None:
    result = await session.execute(select(Chat).where(Chat.id == chat_id).with_for_update())
    return result.scalar_one_or_none()


async def add(session: AsyncSession, chat: Chat) -> Chat:
    session.add(chat)
    await session.flush()
    return chat
