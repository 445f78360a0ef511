"""The one path that sends on the bot's behalf (reminders, snoozes, summaries, nudges,
broadcasts, the edit of a group reminder) and turns Telegram's answer into one `Outcome`.

Everything that follows from an answer happens here, once: a group that became a supergroup
is moved to its new id (bot.storage.chats.migrate) and the message follows it; a chat that
cannot be reached is marked so (bot.storage.chats.mark_unreachable). Producers record their
own delivery rows from the outcome. Interactive replies inside a handler go through
python-telegram-bot directly; their 403 reaches bot.handlers.errors, which marks the chat
through the same storage function.
"""

from __future__ import annotations

import logging
from typing import Any

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot import metrics
from bot.outgoing import Keyboard, Outcome, Outgoing, Result, SendPolicy
from bot.retry import may_have_arrived
from bot.sending import retry_after_seconds
from bot.storage import chats
from bot.storage.db import Database

log = logging.getLogger(__name__)

#: A chat that keeps migrating is not followed for ever.
MAX_MIGRATIONS = 3
#: Retry budget of a send with no policy of its own (seconds).
DEFAULT_BUDGET = 15.0


def failure_reason(exc: BaseException) -> str:
    """A small fixed set of label values, so a new error text cannot create a new series."""
    if isinstance(exc, Forbidden):
        return "blocked"
    if isinstance(exc, RetryAfter):
        return "rate_limited"
    if isinstance(exc, TimedOut):
        return "timeout"
    if isinstance(exc, BadRequest):
        return "bad_request"
    if isinstance(exc, NetworkError):
        return "network"
    return "other"


def to_markup(keyboard: Keyboard | None) -> InlineKeyboardMarkup | None:
    if keyboard is None:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in keyboard]
    )


def classify(exc: TelegramError, chat_id: int, attempts: int) -> Outcome:
    """Telegram's final answer as an outcome (ChatMigrated is followed by `Outbox.deliver`)."""
    reason = failure_reason(exc)
    if isinstance(exc, Forbidden):
        return Outcome(Result.BLOCKED, chat_id, attempts, error=f"403 {exc}", reason="blocked")
    if isinstance(exc, BadRequest):
        text = str(exc).lower()
        if "chat not found" in text:
            return Outcome(Result.BLOCKED, chat_id, attempts, error=f"400 {exc}", reason="blocked")
        if "not modified" in text:  # an edit that changes nothing: the message is right
            return Outcome(Result.SENT, chat_id, attempts)
        return Outcome(Result.FAILED, chat_id, attempts, error=f"400 {exc}", reason=reason)
    if isinstance(exc, RetryAfter):
        return Outcome(
            Result.RETRY,
            chat_id,
            attempts,
            error=str(exc),
            reason=reason,
            retry_after=retry_after_seconds(exc),
        )
    if may_have_arrived(exc):  # a timeout or lost answer: never risk sending it twice
        return Outcome(Result.FAILED, chat_id, attempts, error=str(exc), reason=reason)
    if reason == "network":
        return Outcome(Result.RETRY, chat_id, attempts, error=str(exc), reason=reason)
    return Outcome(Result.FAILED, chat_id, attempts, error=str(exc), reason=reason)


class Outbox:
    """Sends `Outgoing` messages through the bot (and its rate limiter)."""

    def __init__(self, bot: Bot, db: Database) -> None:
        self.bot = bot
        self.db = db

    async def deliver(self, message: Outgoing, policy: SendPolicy | None = None) -> Outcome:
        policy = policy or SendPolicy(DEFAULT_BUDGET)
        limited: dict[str, Any] = (
            {"rate_limit_args": policy} if getattr(self.bot, "rate_limiter", None) else {}
        )
        if not limited:  # no rate limiter to say when the request is out: it is from now
            policy.on_wire = True
        chat_id = message.chat_id
        for _ in range(MAX_MIGRATIONS):
            try:
                sent = await self._call(message, chat_id, limited)
            except ChatMigrated as exc:
                log.info("chat %s migrated to %s", chat_id, exc.new_chat_id)
                async with self.db.session() as session:
                    await chats.migrate(session, chat_id, exc.new_chat_id)
                chat_id = exc.new_chat_id
                continue
            except TelegramError as exc:
                outcome = classify(exc, chat_id, max(1, policy.attempts))
                if outcome.result is Result.BLOCKED:
                    await self.unreachable(chat_id, outcome.error)
                return outcome
            message_id = (
                message.edit_message_id
                if message.edit_message_id is not None
                else getattr(sent, "message_id", None)
            )
            if message.paid_broadcast and message.edit_message_id is None:
                metrics.PAID_BROADCASTS.inc()
            return Outcome(Result.SENT, chat_id, max(1, policy.attempts), message_id=message_id)
        return Outcome(Result.FAILED, chat_id, max(1, policy.attempts), error="migrated too often")

    async def _call(self, message: Outgoing, chat_id: int, limited: dict[str, Any]) -> object:
        markup = to_markup(message.keyboard)
        if message.edit_message_id is not None:  # an edit is no broadcast: never paid
            return await self.bot.edit_message_text(
                message.text,
                chat_id=chat_id,
                message_id=message.edit_message_id,
                reply_markup=markup,
                **limited,
            )
        # Only when set: an absent flag keeps every other request exactly as it was.
        paid: dict[str, Any] = {"allow_paid_broadcast": True} if message.paid_broadcast else {}
        if message.photo is not None:
            return await self.bot.send_photo(
                chat_id,
                photo=message.photo,
                caption=message.text,
                reply_markup=markup,
                **paid,
                **limited,
            )
        return await self.bot.send_message(
            chat_id, message.text, reply_markup=markup, **paid, **limited
        )

    async def unreachable(self, chat_id: int, error: str | None) -> None:
        """Leave the chat alone until /start (see bot.storage.chats.mark_unreachable)."""
        log.info("chat %s cannot be reached (%s): left alone until /start", chat_id, error)
        async with self.db.session() as session:
            await chats.mark_unreachable(session, chat_id)
