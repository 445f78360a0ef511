"""/help: telling a chat what the bot can do. (/start lives in bot.handlers.onboarding.)"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, CommandHandler

from bot.commands import help_lines
from bot.handlers.common import chat_language
from bot.i18n import t


async def help_command(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert update.effective_message
    lang = await chat_language(update, context)
    text = t(lang, "help.header") + "\n\n" + "\n".join(help_lines(lang))
    if update.effective_chat and update.effective_chat.type in ("group", "supergroup"):
        text += "\n\n" + t(lang, "groups.help")
    await update.effective_message.reply_text(text)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["help", "hulp"], help_command))
