"""Subscriber life cycle: registration, and the settings as plain data for the handlers.
Plain functions, callable without Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.scheduling.defaults import DefaultLoad, default_times
from bot.storage import chats
from bot.storage.db import Database
from bot.storage.models import WORKDAYS, Chat


@dataclass(frozen=True)
class Subscriber:
    """A chat's settings and state, detached from the database (what handlers show)."""

    id: int
    type: str
    language: str
    timezone: str
    times: tuple[str, ...]
    days: int
    place: str
    paused_until: datetime | None
    active: bool
    blocked: bool
    onboarded: bool
    weekly_summary: bool
    evening_nudge: bool
    next_due_at: datetime | None
    created_at: datetime

    @classmethod
    def of(cls, chat: Chat) -> Subscriber:
        return cls(
            id=chat.id,
            type=chat.type,
            language=chat.language,
            timezone=chat.timezone,
            times=tuple(chat.times),
            days=chat.days,
            place=chat.place,
            paused_until=chat.paused_until,
            active=chat.active,
            blocked=chat.blocked,
            onboarded=chat.onboarded,
            weekly_summary=chat.weekly_summary,
            evening_nudge=chat.evening_nudge,
            next_due_at=chat.next_due_at,
            created_at=chat.created_at,
        )

    @property
    def group(self) -> bool:
        return self.type in ("group", "supergroup")


def snapshot(chat: Chat | None) -> Subscriber | None:
    return Subscriber.of(chat) if chat is not None else None


async def get_subscriber(db: Database, chat_id: int) -> Subscriber | None:
    async with db.session() as session:
        return snapshot(await chats.get(session, chat_id))


@dataclass(frozen=True)
class Registration:
    chat: Subscriber
    created: bool


async def register(
    db: Database,
    chat_id: int,
    *,
    chat_type: str,
    language: str,
    now: datetime,
    load: DefaultLoad | None = None,
    timezone: str | None = None,
) -> Registration:
    """Create the chat with default preferences, or return it unchanged if it exists (what
    /start then changes is bot.scheduling.rules.on_start's to decide). A new chat is not
    subscribed yet: onboarding's last step turns reminders on, so none can arrive while
    the person is still choosing."""
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is not None:
            return Registration(Subscriber.of(chat), created=False)
    timezone = timezone or ("Europe/Amsterdam" if language == "nl" else "UTC")
    # At the least-loaded minutes near the campaign's moments once the capacity job has
    # measured the load; until then (and in tests) spread by the chat id.
    times = load.place(chat_id, timezone, WORKDAYS) if load else default_times(chat_id)
    new = Chat(
        id=chat_id,
        type=chat_type,
        language=language,
        timezone=timezone,
        times=times,
        days=WORKDAYS,
        place="office",
        active=False,
        blocked=False,
        created_at=now,
        updated_at=now,
    )
    new.next_due_at = None
    async with db.session() as session:
        added = await chats.add_new(session, new)
    if added is not None:
        return Registration(Subscriber.of(added), created=True)
    # Two /start updates raced; the other one created the row.
    async with db.session() as session:
        existing = await chats.get(session, chat_id)
        assert existing is not None
        return Registration(Subscriber.of(existing), created=False)
