"""Leases in the state table: worker heartbeats and the leader lease.

Every running bot process renews a "worker:<id>" row each tick; the one that holds the
"leader" row sends the reminders. A process that dies stops renewing, and after the lease time
another one takes over its role and its unfinished sends. Both are one atomic upsert, so they
behave the same on SQLite and PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import Select

from bot.storage.models import KeyValue

LEADER_KEY = "leader:dispatcher"
WORKER_PREFIX = "worker:"


def upsert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT that supports ON CONFLICT (both PostgreSQL and SQLite have it)."""
    # The engine has already loaded its own dialect; importing the other one here would add
    # ~1.5 MB of PostgreSQL code to every bot on SQLite.
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)


async def heartbeat(session: AsyncSession, worker_key: str, now: datetime, ttl: timedelta) -> None:
    """Say this worker is alive until now + ttl."""
    stmt = upsert(session, KeyValue).values(key=worker_key, value="", expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KeyValue.key], set_={"expires_at": stmt.excluded.expires_at}
    )
    await session.execute(stmt)


def live_workers(now: datetime) -> Select[Any]:
    """Keys of workers whose heartbeat has not expired, as a subquery."""
    return select(KeyValue.key).where(
        KeyValue.key.like(WORKER_PREFIX + "%"), KeyValue.expires_at > now
    )


async def try_lead(
    session: AsyncSession, worker_key: str, now: datetime, ttl: timedelta, *, key: str = LEADER_KEY
) -> bool:
    """Take or renew the leader lease; False while another worker holds an unexpired one."""
    stmt = upsert(session, KeyValue).values(key=key, value=worker_key, expires_at=now + ttl)
    stmt = stmt.on_conflict_do_update(
        index_elements=[KeyValue.key],
        set_={"value": stmt.excluded.value, "expires_at": stmt.excluded.expires_at},
        where=(KeyValue.value == worker_key) | (KeyValue.expires_at <= now),
    ).returning(KeyValue.value)
    return (await session.execute(stmt)).scalar_one_or_none() == worker_key


async def release(session: AsyncSession, worker_key: str, *, key: str = LEADER_KEY) -> None:
    """Give up the leader lease (if held) and the heartbeat, so a successor starts at once."""
    await session.execute(delete(KeyValue).where(KeyValue.key == key, KeyValue.value == worker_key))
    await session.execute(delete(KeyValue).where(KeyValue.key == worker_key))


async def prune_workers(session: AsyncSession, before: datetime) -> None:
    """Forget heartbeats that expired long ago (one row per process start would pile up)."""
    await session.execute(
        delete(KeyValue).where(KeyValue.key.like(WORKER_PREFIX + "%"), KeyValue.expires_at < before)
    )
