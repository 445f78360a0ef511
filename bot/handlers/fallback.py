"""Anything no other handler took: unknown commands and free text get a pointer to /help."""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.context import Context
from bot.handlers.ui import answer, button, keyboard
from bot.i18n import t
from bot.services import awaiting


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


async def unclear(update: Update, context: Context) -> None:
    """ "I didn't understand", with buttons for the main actions; at most once a minute per
    chat, so a burst of unusable messages cannot queue a burst of answers ahead of a real
    one (Telegram paces each chat's replies)."""
    assert update.effective_message and update.effective_chat
    db, chat_id = context.bot_data.db, update.effective_chat.id
    if not await awaiting.may_say_unclear(db, chat_id, context.now()):
        return
    lang = await context.language()
    text = t(lang, "talk.unclear")
    await update.effective_message.reply_text(text, reply_markup=main_actions(lang))


def main_actions(lang: str) -> InlineKeyboardMarkup:
    """Buttons for what people most often want (handled in bot.handlers.talk)."""
    return keyboard(
        [
            button(t(lang, "talk.button_exercise"), "tk:ex"),
            button(t(lang, "talk.button_browse"), "br:h"),
        ],
        [
            button(t(lang, "talk.button_settings"), "tk:st"),
            button(t(lang, "talk.button_help"), "tk:help"),
        ],
    )


async def free_text(update: Update, context: Context) -> None:
    """Anything private that is not text (a sticker, a photo) and not a command."""
    await unclear(update, context)


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
