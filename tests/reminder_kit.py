"""Helpers for reminder-engine tests: an app whose rate limiter sleeps on the fake clock,
dispatchers, chats, and callback-query updates."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from telegram import Update

from bot.app import build_application
from bot.config import Settings
from bot.outbox import Outbox
from bot.scheduling.dispatcher import Dispatcher
from bot.scheduling.timemath import as_utc
from bot.sending import RateLimiter
from bot.storage import chats
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, Chat, Delivery, DeliveryKind, DeliveryStatus
from tests.fakes import BOT_USER, TOKEN, RecordingRequest, user_dict


class FakeSleep:
    """An injected sleep: records each wait and moves the fake clock on instead of waiting."""

    def __init__(self, clock: Any) -> None:
        self.clock = clock
        self.waits: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.clock.advance(seconds=seconds)

    def monotonic(self) -> float:
        return float(self.clock().timestamp())


def limiter(clock: Any, sleep: FakeSleep | None = None, **kwargs: Any) -> RateLimiter:
    sleep = sleep or FakeSleep(clock)
    return RateLimiter(sleep=sleep, monotonic=sleep.monotonic, rng=random.Random(1), **kwargs)


def make_app(
    settings: Settings, db: Database, clock: Any, request: RecordingRequest, sleep: FakeSleep
) -> Any:
    return build_application(
        settings,
        db,
        token=TOKEN,
        clock=clock,
        request=request,
        get_updates_request=RecordingRequest(),
        rate_limiter=limiter(clock, sleep),
    )


def make_dispatcher(app: Any, db: Database, clock: Any, **kwargs: Any) -> Dispatcher:
    kwargs.setdefault("grace", timedelta(minutes=20))
    kwargs.setdefault("rng", random.Random(7))
    return Dispatcher(db, Outbox(app.bot, db), app.bot_data.catalogue, clock=clock, **kwargs)


#: Monday 23 November 2026, 10:20 in Amsterdam: the moment `add_moved_reminder` describes.
MOVED_AT = datetime(2026, 11, 23, 9, 20, tzinfo=UTC)


async def add_moved_reminder(db: Database, chat_id: int) -> None:
    """At MOVED_AT, the chat's 10:00 reminder waits for a meeting to end at 10:47, as the
    dispatcher leaves it: its slot has passed, it is scheduled for 10:47, and the chat's next
    due moment is its 13:30 slot (Amsterdam times)."""
    async with db.session() as session:
        await session.execute(
            update(Chat)
            .where(Chat.id == chat_id)
            .values(next_due_at=datetime(2026, 11, 23, 12, 30, tzinfo=UTC))
        )
        session.add(
            Delivery(
                chat_id=chat_id,
                slot_at=datetime(2026, 11, 23, 9, 0, tzinfo=UTC),
                due_at=datetime(2026, 11, 23, 9, 47, tzinfo=UTC),
                kind=DeliveryKind.REMINDER,
                status=DeliveryStatus.SCHEDULED,
                attempts=0,
            )
        )


async def add_chat(
    db: Database,
    chat_id: int,
    *,
    next_due_at: datetime | None,
    times: list[str] | None = None,
    days: int = ALL_DAYS,
    tz: str = "Europe/Amsterdam",
    language: str = "en",
    place: str = "office",
    chat_type: str = "private",
    paused_until: datetime | None = None,
) -> None:
    async with db.session() as session:
        await chats.add(
            session,
            Chat(
                id=chat_id,
                type=chat_type,
                language=language,
                timezone=tz,
                times=times or ["10:00", "13:30", "15:30"],
                days=days,
                place=place,
                paused_until=paused_until,
                active=True,
                blocked=False,
                next_due_at=next_due_at,
            ),
        )


def _aware(row: Any) -> Any:
    """Detached rows with aware datetimes (SQLite returns naive UTC ones)."""
    if row is not None:
        for key, value in vars(row).items():
            if isinstance(value, datetime) and value.tzinfo is None:
                row.__dict__[key] = as_utc(value)
    return row


async def get_chat(db: Database, chat_id: int) -> Chat | None:
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
    return _aware(chat)


async def all_deliveries(db: Database, chat_id: int | None = None) -> list[Delivery]:
    from sqlalchemy import select

    async with db.session() as session:
        stmt = select(Delivery).order_by(Delivery.id)
        if chat_id is not None:
            stmt = stmt.where(Delivery.chat_id == chat_id)
        rows = list((await session.execute(stmt)).scalars())
    return [_aware(row) for row in rows]


async def run(dispatcher: Dispatcher, now: datetime) -> Any:
    """One tick at `now`, then wait for its sends to be answered and recorded."""
    report = await dispatcher.tick(now)
    await dispatcher.drain()
    return report


_ids = itertools.count(5000)


def callback_update(
    bot: Any,
    data: str,
    *,
    chat_id: int,
    message_id: int,
    user: dict[str, Any] | None = None,
    chat_type: str = "private",
) -> Update:
    user = user or user_dict(chat_id if chat_type == "private" else 1001)
    message = {
        "message_id": message_id,
        "date": 1_700_000_000,
        "chat": {"id": chat_id, "type": chat_type},
        "from": BOT_USER,
        "text": "reminder",
    }
    query = {
        "id": str(next(_ids)),
        "from": user,
        "chat_instance": "ci",
        "data": data,
        "message": message,
    }
    return Update.de_json({"update_id": next(_ids), "callback_query": query}, bot)
