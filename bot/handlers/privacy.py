"""/safety, /privacy, /export and /delete: what the bot stores, out or gone on request."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from telegram import InputFile, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.content.render import render_safety
from bot.context import Context
from bot.handlers.exercises import cancel_guided
from bot.handlers.ui import answer, button, edit, keyboard, reply, split_data, stale
from bot.i18n import t
from bot.services.privacy import erase_chat, export_document
from bot.services.safety import SAFETY_DATA, SAFETY_PREFIX

#: A delete confirmation older than this is stale: an old "Yes" must not erase anything.
CONFIRM_WINDOW = timedelta(minutes=10)


async def safety_command(update: Update, context: Context) -> None:
    lang = await context.language()
    await reply(update, render_safety(lang, context.bot_data.catalogue))


async def on_safety_button(update: Update, context: Context) -> None:
    """The safety button under a reminder or an exercise: the note as a new message, so the
    routine or exercise it was pressed under stays in view."""
    query = update.callback_query
    assert query and update.effective_chat
    if split_data(query, SAFETY_PREFIX) != SAFETY_DATA.split(":")[1:]:
        await stale(update, context)
        return
    lang = await context.language()
    await answer(query)
    await update.effective_chat.send_message(render_safety(lang, context.bot_data.catalogue))


async def privacy_command(update: Update, context: Context) -> None:
    lang = await context.language()
    await reply(update, t(lang, "privacy.text"))


async def export_command(update: Update, context: Context) -> None:
    assert update.effective_chat and update.effective_message
    lang = await context.language()
    chat_id = update.effective_chat.id
    document = await export_document(context.bot_data.db, chat_id, context.now())
    if document is None:
        await reply(update, t(lang, "privacy.export_nothing"))
        return
    await update.effective_message.reply_document(
        InputFile(document, filename=f"rekpauze-{chat_id}.json", attach=True),
        caption=t(lang, "privacy.export_caption"),
    )


async def delete_command(update: Update, context: Context) -> None:
    lang = await context.language()
    stamp = int(context.now().timestamp())
    markup = keyboard(
        [
            button(t(lang, "privacy.button_delete_yes"), f"dl:y:{stamp}"),
            button(t(lang, "privacy.button_delete_no"), "dl:n"),
        ]
    )
    await reply(update, t(lang, "privacy.delete_confirm"), markup)


def _fresh(stamp: str, at: datetime) -> bool:
    if not stamp.isdigit() or len(stamp) > 12:
        return False
    asked = datetime.fromtimestamp(int(stamp), tz=at.tzinfo)
    return timedelta(0) <= at - asked <= CONFIRM_WINDOW


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat
    parts = split_data(query, "dl")
    lang = await context.language()
    if parts == ["n"]:
        await answer(query)
        await edit(query, t(lang, "privacy.delete_cancelled"))
        return
    if parts is None or len(parts) != 2 or parts[0] != "y" or not _fresh(parts[1], context.now()):
        await stale(update, context)
        return
    cancel_guided(context, update.effective_chat.id)
    await erase_chat(context.bot_data.db, update.effective_chat.id)
    await answer(query)
    await edit(query, t(lang, "privacy.deleted"))


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^dl:"))
    app.add_handler(CallbackQueryHandler(on_safety_button, pattern=rf"^{SAFETY_PREFIX}:"))
