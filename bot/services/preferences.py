"""Changing a subscriber's preferences. Plain functions, callable without Telegram.

Every change that affects the schedule recomputes `chat.next_due_at` at once with the pure
time math (after=now), in the same transaction, so the dispatcher never sends at a stale time
and a restart right after the change loses nothing. Each function returns the updated chat,
or None when the chat is not registered.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.scheduling import rules
from bot.scheduling.timemath import local_date, local_day_bounds, zone
from bot.services.parsing import MAX_TIMES, PLACE_WORDS, PauseSpec
from bot.services.reports import digest_dues
from bot.services.subscribers import Subscriber
from bot.storage import chats, progress
from bot.storage.db import Database
from bot.storage.models import ALL_DAYS, Chat

LANGUAGES = ("nl", "en")
PLACES = tuple(sorted(set(PLACE_WORDS.values())))
#: The longest pause the app offers (the /pause command's own limit is in parsing).
MAX_PAUSE = timedelta(days=366)


def reschedule(chat: Chat, now: datetime) -> None:
    """Set the chat's next due moment from its preferences (None when stopped or blocked)."""
    chat.next_due_at = rules.next_reminder(chat, now)


async def _change(
    db: Database, chat_id: int, now: datetime, change: Callable[[Chat], None]
) -> Subscriber | None:
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        if chat is None:
            return None
        change(chat)
        reschedule(chat, now)
        await progress.set_digests_due(session, chat.id, digest_dues(chat, now))
        chat.updated_at = now
        return Subscriber.of(chat)


async def set_times(
    db: Database, chat_id: int, times: list[str], now: datetime
) -> Subscriber | None:
    if not 1 <= len(times) <= MAX_TIMES:
        raise ValueError(f"1 to {MAX_TIMES} times, not {len(times)}")

    def change(chat: Chat) -> None:
        chat.times = sorted(set(times))

    return await _change(db, chat_id, now, change)


async def set_days(db: Database, chat_id: int, days: int, now: datetime) -> Subscriber | None:
    if not 0 < days <= ALL_DAYS:
        raise ValueError(f"invalid day mask {days}")

    def change(chat: Chat) -> None:
        chat.days = days

    return await _change(db, chat_id, now, change)


async def toggle_day(db: Database, chat_id: int, day: int, now: datetime) -> Subscriber | None:
    """Switch one weekday on or off; the last remaining day stays on (ValueError)."""
    if not 0 <= day <= 6:
        raise ValueError(f"invalid day {day}")

    def change(chat: Chat) -> None:
        days = chat.days ^ (1 << day)
        if not days:
            raise ValueError("at least one day")
        chat.days = days

    return await _change(db, chat_id, now, change)


async def set_timezone(
    db: Database, chat_id: int, tz_name: str, now: datetime
) -> Subscriber | None:
    zone(tz_name)  # ValueError for an unknown name

    def change(chat: Chat) -> None:
        chat.timezone = tz_name

    return await _change(db, chat_id, now, change)


async def set_language(
    db: Database, chat_id: int, language: str, now: datetime
) -> Subscriber | None:
    if language not in LANGUAGES:
        raise ValueError(f"unknown language {language!r}")

    def change(chat: Chat) -> None:
        chat.language = language

    return await _change(db, chat_id, now, change)


async def set_place(db: Database, chat_id: int, place: str, now: datetime) -> Subscriber | None:
    if place not in PLACES:
        raise ValueError(f"unknown place {place!r}")

    def change(chat: Chat) -> None:
        chat.place = place

    return await _change(db, chat_id, now, change)


def local_today(chat: Subscriber, now: datetime) -> date:
    return local_date(now, chat.timezone)


async def pause(db: Database, chat_id: int, spec: PauseSpec, now: datetime) -> Subscriber | None:
    """No reminders until local midnight at the start of `spec.resume_on`."""

    def change(chat: Chat) -> None:
        chat.paused_until = local_day_bounds(spec.resume_on, chat.timezone)[0]

    return await _change(db, chat_id, now, change)


async def resume(db: Database, chat_id: int, now: datetime) -> Subscriber | None:
    """End a pause, and a /stop too: the subscriber asked for reminders again."""

    def change(chat: Chat) -> None:
        chat.paused_until = None
        chat.active = True

    return await _change(db, chat_id, now, change)


async def stop(db: Database, chat_id: int, now: datetime) -> Subscriber | None:
    """Unsubscribe: no reminders, data kept until /delete."""

    def change(chat: Chat) -> None:
        chat.active = False

    return await _change(db, chat_id, now, change)


async def mark_safety_shown(db: Database, chat_id: int) -> bool:
    """True the first time only: the safety note is shown once on its own."""
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        if chat is None or chat.safety_shown:
            return False
        chat.safety_shown = True
        return True


@dataclass(frozen=True)
class SettingsChange:
    """Every setting at once, as the Mini App saves them (one transaction, one reschedule).

    `resume_on`: the first local day with reminders again (None: not paused); `active`
    False keeps a stopped subscription stopped, True subscribes again."""

    times: tuple[str, ...]
    days: int
    timezone: str
    place: str
    language: str
    resume_on: date | None
    active: bool


class InvalidSetting(ValueError):
    """A value the settings cannot take; `field` names it for the 422 answer."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field


_HHMM = re.compile(r"([01][0-9]|2[0-3]):[0-5][0-9]")


def validate(change: SettingsChange, today: date) -> None:
    """Raise InvalidSetting for the first field that cannot be stored."""
    if not 1 <= len(change.times) <= MAX_TIMES or len(set(change.times)) != len(change.times):
        raise InvalidSetting("times", f"1 to {MAX_TIMES} different times")
    if not all(_HHMM.fullmatch(value) for value in change.times):
        raise InvalidSetting("times", "HH:MM, 24-hour")
    if not 0 < change.days <= ALL_DAYS:
        raise InvalidSetting("days", "at least one weekday")
    try:
        zone(change.timezone)
    except ValueError:
        raise InvalidSetting("timezone", "unknown time zone") from None
    if change.place not in PLACES:
        raise InvalidSetting("place", f"one of {', '.join(PLACES)}")
    if change.language not in LANGUAGES:
        raise InvalidSetting("language", f"one of {', '.join(LANGUAGES)}")
    if change.resume_on is not None and not today < change.resume_on <= today + MAX_PAUSE:
        raise InvalidSetting("resume_on", "a day after today, within a year")


async def apply_settings(
    db: Database, chat_id: int, change: SettingsChange, now: datetime
) -> Subscriber | None:
    """Store every setting at once (validated against the chat's new local today)."""
    today = local_date(now, change.timezone) if _known_zone(change.timezone) else now.date()
    validate(change, today)

    def apply(chat: Chat) -> None:
        chat.times = sorted(change.times)
        chat.days = change.days
        chat.timezone = change.timezone
        chat.place = change.place
        chat.language = change.language
        chat.active = change.active
        chat.paused_until = pause_start(change)

    return await _change(db, chat_id, now, apply)


def pause_start(change: SettingsChange) -> datetime | None:
    """The instant reminders resume: local midnight at the start of `resume_on`."""
    if change.resume_on is None:
        return None
    return local_day_bounds(change.resume_on, change.timezone)[0]


def _known_zone(name: str) -> bool:
    try:
        zone(name)
    except ValueError:
        return False
    return True
