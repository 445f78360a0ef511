"""The last line of defence: log the failure with the chat id, answer the user politely."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, TelegramError

from bot.context import Context
from bot.i18n import language_for, t

log = logging.getLogger(__name__)


async def on_error(update: object, context: Context) -> None:
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


async def _unreachable(context: Context, chat_id: int | None, error: Forbidden) -> None:
    """Leave the chat alone until /start, as the reminder engine does after a 403."""
    if chat_id is None:
        return
    try:
        await context.bot_data.outbox.unreachable(chat_id, str(error))
    except Exception:
        log.warning("could not mark chat %s unreachable", chat_id, exc_info=True)
