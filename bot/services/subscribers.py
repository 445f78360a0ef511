"""Subscriber life cycle: registration, language. Plain functions, callable without Telegram."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError

from bot.scheduling.defaults import default_times
from bot.scheduling.timemath import as_utc, next_due
from bot.storage import chats
from bot.storage.db import Database
from bot.storage.models import WORKDAYS, Chat


@dataclass(frozen=True)
class Registration:
    chat: Chat
    created: bool


async def register(
    db: Database, chat_id: int, *, chat_type: str, language: str, now: datetime
) -> Registration:
    """Create the chat with default preferences, or return it unchanged if it exists.

    A second /start never resets what the subscriber set; it only lifts a block, since the
    user talking to us again means Telegram will deliver again.
    """
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is not None:
            if chat.blocked:
                chat.blocked = False
                chat.next_due_at = next_due(
                    times=chat.times,
                    days=chat.days,
                    tz_name=chat.timezone,
                    after=now,
                    paused_until=as_utc(chat.paused_until) if chat.paused_until else None,
                )
            return Registration(chat, created=False)
    times = default_times(chat_id)
    timezone = "Europe/Amsterdam" if language == "nl" else "UTC"
    try:
        async with db.session() as session:
            chat = await chats.add(
                session,
                Chat(
                    id=chat_id,
                    type=chat_type,
                    language=language,
                    timezone=timezone,
                    times=times,
                    days=WORKDAYS,
                    next_due_at=next_due(times=times, days=WORKDAYS, tz_name=timezone, after=now),
                    place="office",
                    active=True,
                    blocked=False,
                    created_at=now,
                    updated_at=now,
                ),
            )
            return Registration(chat, created=True)
    except IntegrityError:
        # Two /start updates raced; the other one created the row.
        async with db.session() as session:
            existing = await chats.get(session, chat_id)
            assert existing is not None
            return Registration(existing, created=False)


async def language_of(db: Database, chat_id: int, fallback: str) -> str:
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        return chat.language if chat else fallback
