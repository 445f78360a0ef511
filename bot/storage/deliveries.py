"""Queries on deliveries: claiming due work, recording what Telegram answered.

A delivery row is written before its message is sent, in the same transaction that moves the
chat's next due moment on, and is unique per chat, slot and kind; a slot therefore produces at
most one row however often ticks repeat or race. Claims use FOR UPDATE SKIP LOCKED on
PostgreSQL so concurrent workers take disjoint rows; SQLite has a single writer anyway.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Integer, Table, bindparam, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.storage.leases import live_workers, upsert
from bot.storage.models import Chat, Delivery, DeliveryKind, DeliveryStatus, KeyValue


async def get(session: AsyncSession, delivery_id: int) -> Delivery | None:
    return await session.get(Delivery, delivery_id)


async def get_for_update(session: AsyncSession, delivery_id: int) -> Delivery | None:
    stmt = select(Delivery).where(Delivery.id == delivery_id).with_for_update()
    return (await session.execute(stmt)).scalar_one_or_none()


async def claim_due_chats(session: AsyncSession, now: datetime, limit: int) -> Sequence[Chat]:
    """Chats whose next reminder is due, oldest first, locked for this transaction."""
    stmt = (
        select(Chat)
        .where(Chat.next_due_at <= now)
        .order_by(Chat.next_due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    return (await session.execute(stmt)).scalars().all()


async def count_due_chats(session: AsyncSession, now: datetime) -> int:
    """Chats due and not yet claimed (the backlog), by the next_due_at index."""
    stmt = select(func.count()).select_from(Chat).where(Chat.next_due_at <= now)
    return int(await session.scalar(stmt) or 0)


async def count_due_between(session: AsyncSession, start: datetime, end: datetime) -> int:
    """Chats whose next reminder falls in [start, end): a coming minute's demand, by the
    next_due_at index (the dispatcher starts a crowded minute early)."""
    stmt = (
        select(func.count())
        .select_from(Chat)
        .where(Chat.next_due_at >= start, Chat.next_due_at < end)
    )
    return int(await session.scalar(stmt) or 0)


async def recent_routines(
    session: AsyncSession, chat_ids: Sequence[int], since: datetime, limit: int = 5
) -> dict[int, list[str]]:
    """The routines of each chat's latest `limit` reminders since `since`, most recent first.

    `since` bounds the rows read per chat (the unique index leads with chat_id, slot_at), so
    the cost does not grow with a subscriber's years of history."""
    if not chat_ids:
        return {}
    ranked = (
        select(
            Delivery.chat_id,
            Delivery.routine_id,
            Delivery.slot_at,
            func.row_number()
            .over(partition_by=Delivery.chat_id, order_by=Delivery.slot_at.desc())
            .label("rank"),
        )
        .where(
            Delivery.chat_id.in_(chat_ids),
            Delivery.slot_at >= since,
            Delivery.kind == DeliveryKind.REMINDER,
            Delivery.routine_id.is_not(None),
        )
        .subquery()
    )
    rows = await session.execute(
        select(ranked.c.chat_id, ranked.c.routine_id, ranked.c.slot_at)
        .where(ranked.c.rank <= limit)
        .order_by(ranked.c.chat_id, ranked.c.rank)
    )
    # (slot, order within the slot, routine): a routine replaced with "Another" was seen at
    # its slot too, just before the one that replaced it.
    seen: dict[int, list[tuple[datetime, int, str]]] = {}
    for chat_id, routine_id, slot_at in rows:
        seen.setdefault(chat_id, []).append((_utc(slot_at), 0, routine_id))
    keys = [f"{REPLACED_AREA}:{chat_id}" for chat_id in chat_ids]
    for key, value in await session.execute(
        select(KeyValue.key, KeyValue.value).where(KeyValue.key.in_(keys))
    ):
        chat_id = int(key.rsplit(":", 1)[1])
        for order, (routine_id, slot) in enumerate(_replaced(value), start=1):
            if slot >= _utc(since):
                seen.setdefault(chat_id, []).append((slot, order, routine_id))
    result: dict[int, list[str]] = {}
    for chat_id, entries in seen.items():
        ordered: list[str] = []
        for _, _, routine_id in sorted(entries, key=lambda e: (-e[0].timestamp(), e[1])):
            if routine_id not in ordered:
                ordered.append(routine_id)
        result[chat_id] = ordered[:limit]
    return result


def _utc(instant: datetime) -> datetime:
    """SQLite hands back naive UTC datetimes."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)


def _replaced(value: str) -> list[tuple[str, datetime]]:
    """ "id@slot,..." -> [(routine id, slot)], most recent first; bad entries left out."""
    out = []
    for item in value.split(","):
        routine_id, _, slot = item.partition("@")
        try:
            out.append((routine_id, _utc(datetime.fromisoformat(slot))))
        except ValueError:
            continue
    return out


#: State-table area of the routines a chat replaced with "Another", most recent first.
REPLACED_AREA = "replaced"


async def remember_replaced(
    session: AsyncSession, chat_id: int, routine_id: str, slot_at: datetime, limit: int = 5
) -> None:
    """Note that the reminder of `slot_at` showed `routine_id` before "Another" replaced it."""
    key = f"{REPLACED_AREA}:{chat_id}"
    row = await session.get(KeyValue, key)
    entry = f"{routine_id}@{_utc(slot_at).isoformat()}"
    value = ",".join([entry, *(row.value.split(",") if row else [])][:limit])
    if row is None:
        session.add(KeyValue(key=key, value=value))
    else:
        row.value = value


async def superseded(session: AsyncSession, delivery: Delivery) -> bool:
    """True when a later reminder (or snooze) of the chat has gone out since this one: its
    buttons no longer stand for the current break."""
    later = await session.scalar(
        select(Delivery.id)
        .where(
            Delivery.chat_id == delivery.chat_id,
            Delivery.id != delivery.id,
            Delivery.kind.in_((DeliveryKind.REMINDER, DeliveryKind.SNOOZE)),
            Delivery.status == DeliveryStatus.SENT,
            Delivery.due_at > delivery.due_at,
        )
        .limit(1)
    )
    return later is not None


async def insert_new(session: AsyncSession, rows: list[dict[str, Any]]) -> Sequence[Delivery]:
    """Insert delivery rows, silently leaving out those whose (chat, slot, kind) exists."""
    if not rows:
        return []
    stmt = (
        upsert(session, Delivery)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["chat_id", "slot_at", "kind"])
        .returning(Delivery)
    )
    return (await session.execute(stmt)).scalars().all()


def _claimed(stmt: Any, worker: str) -> Any:
    return stmt.values(status=DeliveryStatus.PENDING, claimed_by=worker).returning(Delivery)


async def claim_scheduled(
    session: AsyncSession, worker: str, now: datetime, oldest: datetime, limit: int
) -> Sequence[Delivery]:
    """Snoozes whose time has come (and is not older than `oldest`), now pending for us."""
    ids = (
        select(Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.SCHEDULED,
            Delivery.due_at <= now,
            Delivery.due_at >= oldest,
        )
        .order_by(Delivery.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = update(Delivery).where(Delivery.id.in_(ids), Delivery.status == DeliveryStatus.SCHEDULED)
    return (await session.execute(_claimed(stmt, worker))).scalars().all()


def _orphan(now: datetime, worker: str | None = None) -> Any:
    """Pending rows no live worker is sending. A worker never takes over its own rows: it
    knows what it has in flight, even if a slow tick let its heartbeat lapse."""
    orphan = or_(Delivery.claimed_by.is_(None), Delivery.claimed_by.not_in(live_workers(now)))
    if worker is None:
        return orphan
    return orphan & or_(Delivery.claimed_by.is_(None), Delivery.claimed_by != worker)


async def claim_orphans(
    session: AsyncSession, worker: str, now: datetime, oldest: datetime, limit: int
) -> Sequence[Delivery]:
    """Pending rows whose worker died between writing them and recording the answer.

    A worker renews its heartbeat while it lives, so rows it is still sending are left alone;
    only rows of workers that stopped renewing are taken over.
    """
    ids = (
        select(Delivery.id)
        .where(
            Delivery.status == DeliveryStatus.PENDING,
            Delivery.due_at >= oldest,
            _orphan(now, worker),
        )
        .order_by(Delivery.due_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    stmt = update(Delivery).where(
        Delivery.id.in_(ids), Delivery.status == DeliveryStatus.PENDING, _orphan(now, worker)
    )
    return (await session.execute(_claimed(stmt, worker))).scalars().all()


async def expire_stale(session: AsyncSession, now: datetime, oldest: datetime) -> int:
    """Give up on snoozes and orphaned sends older than the grace window: late is worse than
    never for a one-minute break."""
    stale = Delivery.due_at < oldest
    scheduled = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.SCHEDULED, stale)
        .values(status=DeliveryStatus.EXPIRED)
    )
    orphans = await session.execute(
        update(Delivery)
        .where(Delivery.status == DeliveryStatus.PENDING, stale, _orphan(now))
        .values(status=DeliveryStatus.EXPIRED)
    )
    return int(scheduled.rowcount or 0) + int(orphans.rowcount or 0)  # type: ignore[attr-defined]


async def finish(
    session: AsyncSession,
    delivery_id: int,
    *,
    status: DeliveryStatus,
    now: datetime,
    attempts: int = 1,
    message_id: int | None = None,
    error: str | None = None,
) -> None:
    """Record Telegram's final answer for any delivery (reminder, snooze, summary, nudge)."""
    values: dict[str, Any] = {
        "status": status,
        "attempts": Delivery.attempts + attempts,
        "error": error[:200] if error else None,
    }
    if message_id is not None:
        values["message_id"] = message_id
        values["sent_at"] = now
    await session.execute(update(Delivery).where(Delivery.id == delivery_id).values(**values))


@dataclass(frozen=True)
class Answer:
    """Telegram's final answer for one delivery, as `finish` records it."""

    delivery_id: int
    status: DeliveryStatus
    now: datetime
    attempts: int = 1
    message_id: int | None = None
    error: str | None = None


async def finish_many(session: AsyncSession, answers: Sequence[Answer]) -> None:
    """`finish` for many deliveries in one statement (executemany): the write transaction
    holds SQLite's lock for one round trip, not one per row."""
    if not answers:
        return
    table: Table = Delivery.__table__  # type: ignore[assignment]  # a Table: Core executemany
    message_id = bindparam("b_message_id", type_=table.c.message_id.type)
    sent_at = bindparam("b_sent_at", type_=table.c.sent_at.type)
    stmt = (
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(
            status=bindparam("b_status"),
            attempts=table.c.attempts + bindparam("b_attempts", type_=Integer()),
            error=bindparam("b_error"),
            message_id=func.coalesce(message_id, table.c.message_id),
            sent_at=func.coalesce(sent_at, table.c.sent_at),
        )
    )
    await session.execute(
        stmt,
        [
            {
                "b_id": answer.delivery_id,
                "b_status": answer.status,
                "b_attempts": answer.attempts,
                "b_error": answer.error[:200] if answer.error else None,
                "b_message_id": answer.message_id,
                "b_sent_at": answer.now if answer.message_id is not None else None,
            }
            for answer in answers
        ],
    )


async def claim_digest(
    session: AsyncSession, chat_id: int, kind: DeliveryKind, slot_at: datetime
) -> int | None:
    """Write the delivery row for a summary or nudge BEFORE sending it; None when it already
    exists (sent before, or another process won). The unique (chat_id, slot_at, kind) key makes
    it exactly-once across restarts; a crash between claim and send loses it rather than
    sending it twice."""
    try:
        async with session.begin_nested():
            delivery = Delivery(
                chat_id=chat_id,
                slot_at=slot_at,
                due_at=slot_at,
                kind=kind,
                status=DeliveryStatus.SENDING,
            )
            session.add(delivery)
    except IntegrityError:
        return None
    return delivery.id


async def release(session: AsyncSession, delivery_id: int) -> None:
    """Drop a claim whose send certainly failed (refused before delivery), so it is retried."""
    await session.execute(delete(Delivery).where(Delivery.id == delivery_id))


async def add_snooze(
    session: AsyncSession, original: Delivery, due_at: datetime
) -> Delivery | None:
    """A one-off re-send of `original` at `due_at`; None if this slot was snoozed before."""
    rows = await insert_new(
        session,
        [
            {
                "chat_id": original.chat_id,
                "slot_at": original.slot_at,
                "due_at": due_at,
                "kind": DeliveryKind.SNOOZE,
                "routine_id": original.routine_id,
                "status": DeliveryStatus.SCHEDULED,
                "attempts": 0,
            }
        ],
    )
    return rows[0] if rows else None


async def cancel(session: AsyncSession, ids: Sequence[int]) -> None:
    """Claimed rows that will not be sent after all (the chat stopped or paused since)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.id.in_(ids))
        .values(status=DeliveryStatus.CANCELLED, claimed_by=None)
    )


async def cancel_scheduled(session: AsyncSession, chat_id: int) -> None:
    """Drop a chat's waiting snoozes (skip today, blocked)."""
    await session.execute(
        update(Delivery)
        .where(Delivery.chat_id == chat_id, Delivery.status == DeliveryStatus.SCHEDULED)
        .values(status=DeliveryStatus.CANCELLED)
    )


async def bring_back_moved(session: AsyncSession, chat_id: int, now: datetime) -> int:
    """The calendar was disconnected: reminders waiting for a meeting to end are due now
    (their slot has passed; waiting on a meeting nobody knows about any more helps no one)."""
    result = await session.execute(
        update(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.kind == DeliveryKind.REMINDER,
            Delivery.status == DeliveryStatus.SCHEDULED,
            Delivery.due_at > now,
        )
        .values(due_at=now)
    )
    return int(getattr(result, "rowcount", 0) or 0)


async def waiting_moved(session: AsyncSession, chat_id: int) -> Sequence[Delivery]:
    """The chat's reminders waiting past their slot for a meeting to end (moved, not sent
    yet): what newer busy time is checked against."""
    rows = await session.scalars(
        select(Delivery)
        .where(
            Delivery.chat_id == chat_id,
            Delivery.kind == DeliveryKind.REMINDER,
            Delivery.status == DeliveryStatus.SCHEDULED,
            Delivery.due_at > Delivery.slot_at,
        )
        .order_by(Delivery.due_at)
    )
    return rows.all()


async def replan_moved(
    session: AsyncSession, delivery_id: int, *, status_was: str, due_at: datetime | None
) -> bool:
    """Move a moved reminder again (scheduled at `due_at`, unclaimed) or, with None, record it
    as skipped in a meeting. Only while the row is still `status_was`: a row another worker
    has claimed meanwhile is left to it, so the slot is still sent at most once."""
    values: dict[str, Any] = {"claimed_by": None}
    if due_at is None:
        values["status"] = DeliveryStatus.BUSY
    else:
        values |= {"status": DeliveryStatus.SCHEDULED, "due_at": due_at}
    result = await session.execute(
        update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.status == status_was)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))
