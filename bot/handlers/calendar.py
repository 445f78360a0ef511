"""/calendar (nl /agenda): connect a calendar by its secret iCal address, see the connection,
test it, disconnect it. Private chats only: a calendar is one person's, and its secret address
must not be posted where a group can read it.

The address is a secret. The message that carries it is deleted once read (a bot may delete
messages in a private chat), and the bot shows only the host and the last characters.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from telegram import Message, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    MessageHandler,
    filters,
)

from bot.calendar.fetch import CalendarFetchError
from bot.context import Context
from bot.handlers.ui import answer, button, edit, keyboard, reply, split_data, stale
from bot.i18n import t, tn
from bot.services import calendars
from bot.services.calendars import CalendarUnavailable

log = logging.getLogger(__name__)

AREA = "cal"
#: Before group 0 (where onboarding and the fallback take free text), after the metrics
#: group: the address the bot asked for never reaches them.
ADDRESS_GROUP = -5


async def calendar_command(update: Update, context: Context) -> None:
    chat, message = update.effective_chat, update.effective_message
    assert chat and message
    lang = await context.language()
    if chat.type != "private":
        if context.args:  # an address posted in the group: take it out of view if allowed
            await _delete_secret(message)
        await chat.send_message(t(lang, "calendar.private_only"))
        return
    if await context.subscriber() is None:
        await reply(update, t(lang, "calendar.not_registered"))
        return
    url = " ".join(context.args or []).strip()
    if url:
        await _connect(update, context, message, url, lang)
        return
    await _show(update, context, lang)


async def _show(update: Update, context: Context, lang: str) -> None:
    assert update.effective_chat
    parts = context.bot_data
    chat_id = update.effective_chat.id
    connection = await calendars.status(parts.db, parts.settings, chat_id, context.now())
    if connection is None:
        await calendars.ask_for_address(parts.db, chat_id, context.now())
        await reply(update, t(lang, "calendar.ask"))
        return
    await reply(update, await _status_text(context, lang, connection), _status_keyboard(lang))


async def _status_text(context: Context, lang: str, connection: calendars.Connection) -> str:
    subscriber = await context.subscriber()
    tz_name = subscriber.timezone if subscriber else "UTC"
    return "\n".join(
        [
            t(lang, "calendar.status", label=connection.label),
            *calendars.connection_lines(lang, connection, tz_name),
            calendars.how_it_works(lang, context.bot_data.settings),
        ]
    )


def _status_keyboard(lang: str) -> Any:
    return keyboard(
        [button(t(lang, "calendar.button.replace"), f"{AREA}:new")],
        [button(t(lang, "calendar.button.disconnect"), f"{AREA}:off")],
    )


async def _connect(update: Update, context: Context, message: Message, url: str, lang: str) -> None:
    """Read the calendar once, store it when that works, and say what was found."""
    from bot.calendar.ics import IcsError  # with icalendar: loaded on first use
    from bot.calendar.messages import error_text

    assert update.effective_chat
    parts = context.bot_data
    deleted = await _delete_secret(message)
    try:
        tested = await calendars.connect(
            parts.db, parts.settings, update.effective_chat.id, url, now=context.now()
        )
    except CalendarUnavailable:
        await update.effective_chat.send_message(t(lang, "calendar.unavailable"))
        return
    except (CalendarFetchError, IcsError) as error:
        text = error_text(lang, error) + "\n\n" + t(lang, "calendar.try_again")
        await update.effective_chat.send_message(text)
        return
    lines = [
        t(lang, "calendar.connected", label=tested.label),
        tn(lang, "calendar.found", tested.blocks),
        calendars.how_it_works(lang, parts.settings),
    ]
    if deleted:
        lines.append(t(lang, "calendar.message_deleted"))
    await update.effective_chat.send_message("\n".join(lines), reply_markup=_status_keyboard(lang))


async def _delete_secret(message: Message) -> bool:
    """Remove the user's message with the address from the chat, where it would stay
    readable on every device; False when Telegram does not allow it (too old, say)."""
    try:
        return bool(await message.delete())
    except TelegramError as exc:
        log.info("could not delete the calendar address message: %s", exc)
        return False


async def on_address(update: Update, context: Context) -> None:
    """Any private text: when the bot asked for an address, this is it (and nothing else
    handles the message); otherwise it passes on to the other handlers."""
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not message.text:
        return
    parts = context.bot_data
    if not await calendars.address_expected(parts.db, chat.id, context.now()):
        return
    lang = await context.language()
    await _connect(update, context, message, message.text.strip(), lang)
    raise ApplicationHandlerStop


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat
    action = split_data(query, AREA)
    lang = await context.language()
    parts = context.bot_data
    chat_id = update.effective_chat.id
    if action == ["off"]:
        removed = await calendars.disconnect(parts.db, chat_id, context.now())
        await answer(query)
        key = "calendar.disconnected" if removed else "calendar.none"
        await edit(query, t(lang, key))
    elif action == ["new"]:
        await calendars.ask_for_address(parts.db, chat_id, context.now())
        await answer(query)
        with contextlib.suppress(TelegramError):
            await query.edit_message_reply_markup(None)
        await update.effective_chat.send_message(t(lang, "calendar.ask"))
    else:
        await stale(update, context)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=rf"^{AREA}:"))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            on_address,
        ),
        group=ADDRESS_GROUP,
    )
