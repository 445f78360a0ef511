"""/help: telling a chat what the bot can do. (/start lives in bot.handlers.onboarding.)"""

from __future__ import annotations

from telegram import Update

from bot.commands import help_lines
from bot.context import Context
from bot.i18n import t


async def help_command(update: Update, context: Context) -> None:
    assert update.effective_message
    lang = await context.language()
    text = t(lang, "help.header") + "\n\n" + "\n".join(help_lines(lang))
    if update.effective_chat and update.effective_chat.type in ("group", "supergroup"):
        text += "\n\n" + t(lang, "groups.help")
    await update.effective_message.reply_text(text)
