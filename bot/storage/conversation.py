"""Per-chat conversation state kept in the `state` table, so it survives restarts.

Keys are ``<area>:<chat_id>``; `bot.storage.privacy` exports and erases every key that ends
with the chat id, so whatever is stored here is covered by /export and /delete.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import KeyValue


def chat_key(area: str, chat_id: int) -> str:
    return f"{area}:{chat_id}"


async def get(session: AsyncSession, area: str, chat_id: int) -> str | None:
    row = await session.get(KeyValue, chat_key(area, chat_id))
    return row.value if row else None


async def put(session: AsyncSession, area: str, chat_id: int, value: str) -> None:
    row = await session.get(KeyValue, chat_key(area, chat_id))
    if row is None:
        session.add(KeyValue(key=chat_key(area, chat_id), value=value))
    else:
        row.value = value
    await session.flush()


async def clear(session: AsyncSession, area: str, chat_id: int) -> None:
    row = await session.get(KeyValue, chat_key(area, chat_id))
    if row is not None:
        await session.delete(row)
        await session.flush()
