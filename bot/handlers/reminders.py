"""Reminder buttons and group migrations: parse, call the service, answer."""

from __future__ import annotations

import logging
from typing import Any

from telegram import Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import Context
from bot.handlers.animations import send_exercise
from bot.handlers.groups import schedule_refresh
from bot.handlers.ui import answer
from bot.i18n import language_for, t
from bot.outbox import to_markup
from bot.services.animations import routine_exercises
from bot.services.reminders import CALLBACK_PREFIX, PressResult, move_chat, parse_callback, press

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
    if result.show_routine is not None:
        await show_routine(update, context, result)
        return
    await answer(query, result.answer)  # a press answered too late still edits the message
    if result.refresh_delivery is not None:
        schedule_refresh(context, chat.id, result.refresh_delivery)
    if result.edit and result.text is not None:
        try:
            await query.edit_message_text(result.text, reply_markup=to_markup(result.keyboard))
        except BadRequest as exc:  # e.g. "message is not modified", or too old to edit
            log.info("could not edit reminder in chat %s: %s", chat.id, exc)


async def show_routine(update: Update, context: Context, result: PressResult) -> None:
    """ "Show me": the routine's animations, each with its name, dosage and steps."""
    query, chat = update.callback_query, update.effective_chat
    assert query is not None and chat is not None and result.show_routine is not None
    parts = context.bot_data
    parsed = parse_callback(query.data)
    assert parsed is not None
    lang = await context.language()
    if not parts.animations.first_show(chat.id, parsed[1], parts.clock()):
        await answer(query, t(lang, "reminder.answer.shown_recently"))
        return
    try:
        routine = parts.catalogue.routine(result.show_routine)
    except KeyError:  # the catalogue changed since the reminder was sent
        await answer(query, t(lang, "reminder.answer.stale"))
        return
    clips = [
        (e, await parts.animations.clip(e.id)) for e in routine_exercises(routine, parts.catalogue)
    ]
    if not any(clip for _, clip in clips):
        await answer(query, t(lang, "reminder.answer.no_animation"))
        return
    await answer(query, result.answer)
    for exercise, clip in clips:
        if clip is not None:
            await send_exercise(
                context.bot, parts.animations, parts.catalogue, chat.id, exercise, lang
            )


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
