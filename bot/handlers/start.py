"""/start and /help: registering a chat and telling it what the bot can do."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, CommandHandler

from bot.commands import help_lines
from bot.context import services
from bot.handlers.common import chat_language
from bot.i18n import language_for, t
from bot.services.subscribers import register


async def start(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert update.effective_chat and update.effective_message
    svc = services(context)
    user = update.effective_user
    registration = await register(
        svc.db,
        update.effective_chat.id,
        chat_type=update.effective_chat.type,
        language=language_for(user.language_code if user else None),
        now=svc.clock(),
    )
    lang = registration.chat.language
    key = "start.welcome" if registration.created else "start.welcome_back"
    name = user.first_name if user else ""
    await update.effective_message.reply_text(
        t(lang, key, name=name, times=", ".join(registration.chat.times))
    )


async def help_command(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> None:
    assert update.effective_message
    lang = await chat_language(update, context)
    text = t(lang, "help.header") + "\n\n" + "\n".join(help_lines(lang))
    await update.effective_message.reply_text(text)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler("start", start))
    app.add_handler(CommandHandler(["help", "hulp"], help_command))
