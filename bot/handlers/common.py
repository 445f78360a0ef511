"""Small helpers every handler uses: who is talking, in which language, and replying."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CallbackContext

from bot.context import services
from bot.i18n import language_for
from bot.services.subscribers import language_of


async def chat_language(update: Update, context: CallbackContext[Any, Any, Any, Any]) -> str:
    """The chat's stored language, or the one Telegram reports for the user."""
    fallback = language_for(update.effective_user.language_code if update.effective_user else None)
    if update.effective_chat is None:
        return fallback
    return await language_of(services(context).db, update.effective_chat.id, fallback)
