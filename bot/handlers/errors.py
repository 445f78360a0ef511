"""The last line of defence: log the failure with the chat id, answer the user politely."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import Forbidden, TelegramError
from telegram.ext import CallbackContext

from bot.context import services
from bot.i18n import language_for, t
from bot.storage import chats

log = logging.getLogger(__name__)


async def on_error(update: object, context: CallbackContext[Any, Any, Any, Any]) -> None:
    chat = update.effective_chat if isinstance(update, Update) else None
    chat_id = chat.id if chat else None
    if isinstance(context.error, Forbidden):
        # Blocked, deactivated or removed while we were answering: an answer, not a bug.
        await _unreachable(context, chat_id, context.error)
        return
    log.error("handler failed for chat %s: %r", chat_id, context.error, exc_info=context.error)
    if not isinstance(update, Update) or update.effective_chat is None:
        return
    user = update.effective_user
    lang = language_for(user.language_code if user else None)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(t(lang, "error.generic"))
        elif update.effective_message is not None:
            await update.effective_message.reply_text(t(lang, "error.generic"))
    except TelegramError:
        log.warning("could not tell chat %s about the failure", chat_id)


async def _unreachable(
    context: CallbackContext[Any, Any, Any, Any], chat_id: int | None, error: Forbidden
) -> None:
    """Leave the chat alone until /start, as the reminder engine does after a 403."""
    log.info("chat %s cannot be reached (%s): left alone until /start", chat_id, error)
    if chat_id is None:
        return
    try:
        async with services(context).db.session() as session:
            await chats.mark_blocked(session, chat_id)
    except Exception:
        log.warning("could not mark chat %s unreachable", chat_id, exc_info=True)
