"""Reminder buttons and group migrations: parse, call the service, answer."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import Context
from bot.handlers.groups import schedule_refresh
from bot.handlers.ui import answer
from bot.i18n import language_for
from bot.outbox import to_markup
from bot.services.reminders import CALLBACK_PREFIX, move_chat, press

log = logging.getLogger(__name__)


async def on_press(update: Update, context: Context) -> None:
    query = update.callback_query
    chat, user = update.effective_chat, update.effective_user
    if query is None:
        return
    if chat is None or user is None:
        await query.answer()
        return
    svc = context.bot_data
    result = await press(
        svc.db,
        svc.catalogue,
        query.data,
        chat_id=chat.id,
        message_id=query.message.message_id if query.message else None,
        user_id=user.id,
        private=chat.type == "private",
        now=svc.clock(),
        user_name=user.first_name,
        fallback_lang=language_for(user.language_code),
    )
    await answer(query, result.answer)  # a press answered too late still edits the message
    if result.refresh_delivery is not None:
        schedule_refresh(context, chat.id, result.refresh_delivery)
    if result.edit and result.text is not None:
        try:
            await query.edit_message_text(result.text, reply_markup=to_markup(result.keyboard))
        except BadRequest as exc:  # e.g. "message is not modified", or too old to edit
            log.info("could not edit reminder in chat %s: %s", chat.id, exc)


async def on_migrate(update: Update, context: Context) -> None:
    message, chat = update.effective_message, update.effective_chat
    if message is None or chat is None:
        return
    if message.migrate_to_chat_id:
        old, new = chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, chat.id
    else:
        return
    await move_chat(context.bot_data.db, old, new)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_press, pattern=f"^{CALLBACK_PREFIX}"))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, on_migrate))
