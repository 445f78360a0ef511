"""Onboarding in three steps: language, timezone, confirm the schedule.

The step lives in the database (the `state` table, key ``onboarding:<chat_id>``) and is
written in the same transaction as the choice that moves it forward, so a restart, even a
kill -9, resumes exactly where the subscriber was. `chat.onboarded` marks the end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.scheduling import rules
from bot.scheduling.defaults import DefaultLoad
from bot.scheduling.timemath import zone
from bot.services.preferences import LANGUAGES, reschedule
from bot.services.subscribers import Subscriber, register
from bot.storage import chats, conversation
from bot.storage.db import Database

AREA = "onboarding"
LANGUAGE, TIMEZONE, CONFIRM = "language", "timezone", "confirm"
STEPS = (LANGUAGE, TIMEZONE, CONFIRM)


class StaleStep(Exception):
    """A choice for a step the chat is not at (an old button, a forged one)."""


@dataclass(frozen=True)
class Progress:
    chat: Subscriber
    step: str | None  # None: onboarding is complete
    created: bool = False
    #: The first reminder: the stored one once complete, before that the one confirming now
    #: would give (the last step tells it, and must not say "none planned").
    first: datetime | None = None


async def begin(
    db: Database,
    chat_id: int,
    *,
    chat_type: str,
    language: str,
    now: datetime,
    timezone: str | None = None,
    load: DefaultLoad | None = None,
) -> Progress:
    """Register the chat if new (with `timezone` as the first guess, default times placed
    against `load`) and tell where onboarding stands; never resets settings."""
    registration = await register(
        db,
        chat_id,
        chat_type=chat_type,
        language=language,
        now=now,
        timezone=timezone,
        load=load,
    )
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        assert chat is not None
        restart = rules.on_start(chat, onboarded=chat.onboarded)
        if (restart.active, restart.blocked) != (chat.active, chat.blocked):
            chat.active, chat.blocked = restart.active, restart.blocked
            reschedule(chat, now)
            chat.updated_at = now
        if chat.onboarded:
            return Progress(Subscriber.of(chat), None, registration.created)
        step = await conversation.get(session, AREA, chat_id)
        if step not in STEPS:
            step = LANGUAGE
            await conversation.put(session, AREA, chat_id, step)
        first = rules.first_reminder(chat, now)
        return Progress(Subscriber.of(chat), step, registration.created, first=first)


async def current_step(db: Database, chat_id: int) -> str | None:
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is None or chat.onboarded:
            return None
        step = await conversation.get(session, AREA, chat_id)
        return step if step in STEPS else None


async def _advance(
    db: Database,
    chat_id: int,
    expected: tuple[str, ...],
    now: datetime,
    done: str,
    **changes: object,
) -> Progress:
    """Apply the choice made at step `done` if the chat is at one of `expected`."""
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        if chat is None or chat.onboarded:
            raise StaleStep
        step = await conversation.get(session, AREA, chat_id)
        if step not in expected:
            raise StaleStep
        for name, value in changes.items():
            setattr(chat, name, value)
        following = STEPS[STEPS.index(done) + 1] if done != CONFIRM else None
        if following is None:
            chat.onboarded = True
            chat.active = True
            await conversation.clear(session, AREA, chat_id)
        else:
            await conversation.put(session, AREA, chat_id, following)
        reschedule(chat, now)
        chat.updated_at = now
        first = chat.next_due_at if chat.onboarded else rules.first_reminder(chat, now)
        return Progress(Subscriber.of(chat), following, first=first)


async def choose_language(db: Database, chat_id: int, language: str, now: datetime) -> Progress:
    if language not in LANGUAGES:
        raise StaleStep
    return await _advance(db, chat_id, (LANGUAGE,), now, LANGUAGE, language=language)


async def choose_timezone(
    db: Database, chat_id: int, tz_name: str, now: datetime, *, typed: bool = False
) -> Progress:
    """A typed city or shared location is also taken at the language step (someone who
    answers ahead); a step-2 button pressed then is an old one and is refused."""
    zone(tz_name)
    expected = (LANGUAGE, TIMEZONE) if typed else (TIMEZONE,)
    return await _advance(db, chat_id, expected, now, TIMEZONE, timezone=tz_name)


async def confirm(db: Database, chat_id: int, now: datetime) -> Progress:
    return await _advance(db, chat_id, (CONFIRM,), now, CONFIRM)
