"""Reply helpers shared by the conversation handlers: buttons, callback data, stale presses.

Callback data is ``<area>:<action>[:<arg>...]``, ASCII, at most 64 bytes; every handler parses
it strictly and answers anything it does not recognise with a polite "this button is no
longer valid" instead of acting on it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import datetime

from babel.dates import format_datetime
from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
    WebAppInfo,
)
from telegram.error import BadRequest

from bot.context import Context
from bot.i18n import t
from bot.scheduling.rules import is_paused
from bot.scheduling.timemath import ALL_DAYS, WORKDAYS, as_utc, zone
from bot.services.parsing import ParseError, day_indexes
from bot.services.subscribers import Subscriber
from bot.telegram_html import MAX_CALLBACK_DATA

#: Telegram shows at most 200 characters in a callback answer.
MAX_ANSWER = 200


def button(text: str, data: str) -> InlineKeyboardButton:
    if not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA:
        raise ValueError(f"callback data too long: {data!r}")
    return InlineKeyboardButton(text, callback_data=data)


def keyboard(*rows: Sequence[InlineKeyboardButton]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([list(row) for row in rows if row])


def split_data(query: CallbackQuery, area: str) -> list[str] | None:
    """The parts after ``<area>:``, or None when the data is not ours or malformed."""
    data = query.data or ""
    if len(data.encode()) > MAX_CALLBACK_DATA or not data.isascii():
        return None
    parts = data.split(":")
    if parts[0] != area or len(parts) < 2:
        return None
    return parts[1:]


async def answer(query: CallbackQuery, text: str | None = None, alert: bool = False) -> None:
    # A query too old to answer (after a restart, say) needs nothing more.
    with contextlib.suppress(BadRequest):
        await query.answer(text[:MAX_ANSWER] if text else None, show_alert=alert)


async def stale(update: Update, context: Context) -> None:
    """A button we cannot act on: tell the user politely, change nothing."""
    assert update.callback_query
    await answer(update.callback_query, t(await context.language(), "button.stale"))


def app_row(context: Context, update: Update, lang: str, screen: str) -> list[InlineKeyboardButton]:
    """An "Open in app" button for the Mini App's `screen`, in private chats when WEBAPP_URL is
    set; nothing otherwise (Mini App buttons do not work in groups)."""
    url = context.bot_data.settings.webapp_url
    chat = update.effective_chat
    if not url or chat is None or chat.type != "private":
        return []
    info = WebAppInfo(f"{url}?screen={screen}")
    return [InlineKeyboardButton(t(lang, "webapp.open_button"), web_app=info)]


def with_app_row(
    markup: InlineKeyboardMarkup | None, row: list[InlineKeyboardButton]
) -> InlineKeyboardMarkup | None:
    if not row:
        return markup
    rows = [list(r) for r in markup.inline_keyboard] if markup else []
    return InlineKeyboardMarkup([*rows, row])


async def reply(
    update: Update, text: str, markup: InlineKeyboardMarkup | None = None
) -> Message | None:
    assert update.effective_message
    return await update.effective_message.reply_text(text, reply_markup=markup)


async def edit(query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    """Edit the message the button belongs to; an identical text is not an error."""
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


def parse_error(lang: str, error: ParseError) -> str:
    return t(lang, error.key, **{k: v for k, v in error.details.items()})


def args_text(context: Context) -> str:
    return " ".join(context.args or [])


def now(context: Context) -> datetime:
    return context.now()


# ------------------------------------------------------------------------- shared labels


def days_label(lang: str, mask: int) -> str:
    if mask == ALL_DAYS:
        return t(lang, "label.days.all")
    if mask == WORKDAYS:
        return t(lang, "label.days.workdays")
    if mask == 0b1100000:
        return t(lang, "label.days.weekend")
    return ", ".join(t(lang, f"label.day.{i}") for i in day_indexes(mask))


def times_label(times: Sequence[str]) -> str:
    return ", ".join(times)


def local_moment(lang: str, instant: datetime | None, tz_name: str) -> str:
    """'ma 24 nov. 10:07' / 'Mon, Nov 24, 10:07' in the chat's timezone."""
    if instant is None:
        return t(lang, "label.no_reminder")
    return format_datetime(as_utc(instant), "EEE d MMM HH:mm", tzinfo=zone(tz_name), locale=lang)


def place_label(lang: str, place: str) -> str:
    return t(lang, f"label.place.{place}")


def language_label(lang: str, code: str) -> str:
    return t(lang, f"label.language.{code}")


def status_line(lang: str, chat: Subscriber, at: datetime) -> str:
    if not chat.active:
        return t(lang, "label.status.stopped")
    if is_paused(chat, at):
        until = local_moment(lang, chat.paused_until, chat.timezone)
        return t(lang, "label.status.paused", until=until)
    return t(lang, "label.status.active")
