"""What the bot just asked a chat, so a typed answer is understood ("send 1 to 6 times" ->
"10:00 13:00 16:00"), and when it last said "I didn't understand", so a burst of unusable
messages gets one such answer a minute, not one each.

Both live in the `state` table under ``<area>:<chat_id>`` (bot.storage.conversation): they
survive a restart and are covered by /export and /delete."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.scheduling.timemath import as_utc
from bot.storage import conversation
from bot.storage.db import Database

AREA = "awaiting"
UNCLEAR_AREA = "unclear"
#: The questions whose typed answer is understood.
QUESTIONS = ("times", "timezone", "pause_date")
#: An answer typed later than this is no longer taken as the answer.
ANSWER_WINDOW = timedelta(minutes=30)
#: At most one "I didn't understand" per chat per this period.
UNCLEAR_EVERY = timedelta(minutes=1)


def _stamp(what: str, at: datetime) -> str:
    return f"{what}@{as_utc(at).isoformat()}"


def _parse(value: str | None) -> tuple[str, datetime] | None:
    if not value or "@" not in value:
        return None
    what, _, when = value.partition("@")
    try:
        return what, as_utc(datetime.fromisoformat(when))
    except ValueError:
        return None


async def ask(db: Database, chat_id: int, what: str, now: datetime) -> None:
    """Remember that the bot just asked `what` (one of QUESTIONS)."""
    if what not in QUESTIONS:
        raise ValueError(f"unknown question {what!r}")
    async with db.session() as session:
        await conversation.put(session, AREA, chat_id, _stamp(what, now))


async def question(db: Database, chat_id: int, now: datetime) -> str | None:
    """The question the chat's next free text answers, if asked recently enough."""
    async with db.session() as session:
        stored = _parse(await conversation.get(session, AREA, chat_id))
    if stored is None or stored[0] not in QUESTIONS or now - stored[1] > ANSWER_WINDOW:
        return None
    return stored[0]


async def answered(db: Database, chat_id: int) -> None:
    async with db.session() as session:
        await conversation.clear(session, AREA, chat_id)


async def may_say_unclear(db: Database, chat_id: int, now: datetime) -> bool:
    """True at most once per UNCLEAR_EVERY per chat; the claim is written as it is made."""
    async with db.session() as session:
        last = _parse(await conversation.get(session, UNCLEAR_AREA, chat_id))
        if last is not None and timedelta(0) <= now - last[1] < UNCLEAR_EVERY:
            return False
        await conversation.put(session, UNCLEAR_AREA, chat_id, _stamp("said", now))
        return True
