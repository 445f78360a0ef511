"""Small named values in the `state` table (broadcast drafts and runs): put, take once, list
by prefix, and compare-and-swap, so two processes on one database never both win."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.models import KeyValue


async def put(
    session: AsyncSession, key: str, value: str, expires_at: datetime | None = None
) -> None:
    session.add(KeyValue(key=key, value=value, expires_at=expires_at))


async def delete_key(session: AsyncSession, key: str) -> bool:
    """True when this call removed the row (a second call finds nothing)."""
    result = await session.execute(delete(KeyValue).where(KeyValue.key == key))
    return bool(getattr(result, "rowcount", 0))


async def take(session: AsyncSession, key: str) -> str | None:
    """Read and delete the value, once: the delete is the claim, so of two concurrent takers
    only one gets it."""
    row = await session.get(KeyValue, key)
    if row is None:
        return None
    result = await session.execute(
        delete(KeyValue).where(KeyValue.key == key, KeyValue.value == row.value)
    )
    return row.value if getattr(result, "rowcount", 0) else None


async def with_prefix(session: AsyncSession, prefix: str) -> list[tuple[str, str]]:
    rows = await session.scalars(
        select(KeyValue).where(KeyValue.key.startswith(prefix)).order_by(KeyValue.key)
    )
    return [(row.key, row.value) for row in rows]


async def swap(session: AsyncSession, key: str, expected: str, value: str) -> bool:
    """Set `value` only if the row still holds `expected`."""
    result = await session.execute(
        update(KeyValue).where(KeyValue.key == key, KeyValue.value == expected).values(value=value)
    )
    return bool(getattr(result, "rowcount", 0))
