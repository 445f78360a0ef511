"""Anything no other handler took: unknown commands and free text get a pointer to /help."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.context import Context
from bot.handlers.ui import answer
from bot.i18n import t


async def unknown_command(update: Update, context: Context) -> None:
    """In a group, only a command addressed to this bot by name gets an answer: a bare
    /command or /command@other_bot may be meant for another bot in the group."""
    message = update.effective_message
    assert message
    chat = update.effective_chat
    if chat is not None and chat.type != "private":
        head = message.parse_entity(message.entities[0]) if message.entities else ""
        username = context.bot.username or ""
        if not username or not head.lower().endswith("@" + username.lower()):
            return
    lang = await context.language()
    await message.reply_text(t(lang, "fallback.unknown_command"))


async def free_text(update: Update, context: Context) -> None:
    assert update.effective_message
    lang = await context.language()
    await update.effective_message.reply_text(t(lang, "fallback.free_text"))


async def unknown_button(update: Update, context: Context) -> None:
    """A button press no handler recognised (forged, or from an old version): say so."""
    assert update.callback_query
    lang = await context.language()
    await answer(update.callback_query, t(lang, "button.stale"))


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Must be registered last in group 0: only one handler per group runs, so these see
    only what no other handler took."""
    private = filters.ChatType.PRIVATE
    app.add_handler(MessageHandler(filters.COMMAND, unknown_command))
    app.add_handler(
        MessageHandler(private & ~filters.COMMAND & ~filters.StatusUpdate.ALL, free_text)
    )
    app.add_handler(CallbackQueryHandler(unknown_button))
