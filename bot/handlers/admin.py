"""/admin and /broadcast, for ADMIN_USER_IDS only.

The command handlers (bot.handlers.registry) carry a user filter, so for anyone else they do
not match at all and the update falls through to the fallback's unknown-command answer: to
other users these commands do not exist.
"""

from __future__ import annotations

import html
import logging
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import Application, CallbackQueryHandler

from bot import metrics
from bot.context import Context
from bot.i18n import t
from bot.services import broadcast
from bot.services.admin import overview

log = logging.getLogger(__name__)

CALLBACK = "adm:bc:"  # adm:bc:<ok|no>:<token>


def _capacity_line(context: Context, lang: str) -> str:
    found = context.bot_data.capacity
    if not found:
        return ""
    return "\n" + str(found["lines"].get(lang, ""))  # Telegram HTML made by bot.i18n.t


def _paid_line(context: Context, lang: str) -> str:
    """Paid broadcasts sent, once PAID_BROADCAST_RATE is on (they cost Stars)."""
    rate = context.bot_data.settings.paid_broadcast_rate
    if not rate:
        return ""
    return "\n" + t(lang, "admin.paid", count=metrics.paid_broadcasts(), rate=f"{rate:g}")


def _percent(rate: float | None) -> str:
    return "–" if rate is None else f"{rate:.0%}"


async def admin_command(update: Update, context: Context) -> None:
    assert update.effective_message
    svc = context.bot_data
    lang = await context.language()
    numbers = await overview(svc.db, svc.clock())
    await update.effective_message.reply_text(
        t(
            lang,
            "admin.overview",
            subscribers=numbers.subscribers,
            active=numbers.active,
            sent_today=numbers.sent_today,
            rate=_percent(numbers.completion_rate),
            completed=numbers.completed_week,
            sent_week=numbers.sent_week,
        )
        + "\n"
        + t(lang, "admin.skips", **metrics.skipped_counts())
        + "\n"
        + t(
            lang,
            "admin.calendar",
            moved_today=numbers.moved_today,
            busy_today=numbers.busy_today,
            moved_week=numbers.moved_week,
            busy_week=numbers.busy_week,
        )
        + _paid_line(context, lang)
        + _capacity_line(context, lang)
    )


def _broadcast_text(message_text: str) -> str:
    """The text after the command, as typed (line breaks kept)."""
    parts = message_text.split(maxsplit=1)
    return message_text[len(parts[0]) :].strip() if len(parts) > 1 else ""


async def broadcast_command(update: Update, context: Context) -> None:
    assert update.effective_message and update.effective_chat
    svc = context.bot_data
    lang = await context.language()
    text = _broadcast_text(update.effective_message.text or "")
    if not text:
        await update.effective_message.reply_text(t(lang, "admin.broadcast.usage"))
        return
    length = broadcast.over_limit(text)
    if length is not None:
        await update.effective_message.reply_text(
            t(lang, "admin.broadcast.too_long", limit=broadcast.MAX_TEXT, length=length)
        )
        return
    # Subscribers get the admin's words as plain text: escaped once, here, for good.
    token = await broadcast.create_draft(
        svc.db,
        text=html.escape(text, quote=False),
        admin_chat=update.effective_chat.id,
        lang=lang,
        now=svc.clock(),
    )
    count = await broadcast.count_recipients(svc.db)
    buttons = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    t(lang, "admin.broadcast.button_send", count=count),
                    callback_data=f"{CALLBACK}ok:{token}",
                ),
                InlineKeyboardButton(
                    t(lang, "admin.broadcast.button_cancel"), callback_data=f"{CALLBACK}no:{token}"
                ),
            ]
        ]
    )
    try:
        await update.effective_message.reply_text(
            t(lang, "admin.broadcast.preview", count=count, text=text), reply_markup=buttons
        )
    except BadRequest as exc:  # Telegram refused the preview: no draft may be left behind
        await broadcast.cancel_draft(svc.db, token)
        log.warning("broadcast preview refused (%s); draft removed", exc)
        await update.effective_message.reply_text(t(lang, "admin.broadcast.refused"))


async def broadcast_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    svc = context.bot_data
    if query.from_user.id not in svc.settings.admin_user_ids:
        await query.answer()
        return
    lang = await context.language()
    action, token = query.data.removeprefix(CALLBACK).split(":", 1)
    if action == "ok":
        started = await broadcast.confirm_draft(svc.db, token, svc.clock())
        key = "admin.broadcast.started" if started else "admin.broadcast.gone"
    else:
        key = (
            "admin.broadcast.cancelled"
            if await broadcast.cancel_draft(svc.db, token)
            else ("admin.broadcast.gone")
        )
    await query.answer()
    await query.edit_message_reply_markup(None)
    assert query.message is not None
    await context.bot.send_message(query.message.chat.id, t(lang, key))
    if key == "admin.broadcast.started":
        log.info("broadcast confirmed by user %s", query.from_user.id)
        await context.bot_data.broadcaster.poll()


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(broadcast_button, pattern=rf"^{CALLBACK}(ok|no):\w+$"))
