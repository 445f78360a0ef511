"""/stats, /summary and /nudge, and the periodic job that sends weekly summaries and nudges."""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, CommandHandler

from bot.context import services
from bot.handlers.common import chat_language
from bot.handlers.groups import team_stats
from bot.i18n import t
from bot.services import digests
from bot.services.reports import (
    chart_png,
    fits_caption,
    load_progress,
    nudge_possible,
    set_evening_nudge,
    set_weekly_summary,
    stats_text,
)
from bot.storage import chats

AnyContext = CallbackContext[Any, Any, Any, Any]

ON_WORDS = frozenset({"on", "aan", "ja", "yes"})
OFF_WORDS = frozenset({"off", "uit", "nee", "no"})
DIGEST_INTERVAL_S = 60


async def stats(update: Update, context: AnyContext) -> None:
    """Text and chart in one photo message; text only while there is nothing to chart. In a
    group: the team's week and each member's count, as text."""
    assert update.effective_chat and update.effective_message
    if update.effective_chat.type in ("group", "supergroup"):
        await team_stats(update, context)
        return
    svc = services(context)
    chat, user = update.effective_chat, update.effective_user
    report = await load_progress(svc.db, chat.id, user.id if user else chat.id, svc.clock())
    if report is None:
        lang = await chat_language(update, context)
        await update.effective_message.reply_text(t(lang, "stats.not_registered"))
        return
    lang = report.chat.language
    name = user.first_name if user and chat.type != "private" else None
    text = stats_text(lang, report.progress, name)
    if report.progress.empty:
        await update.effective_message.reply_text(text)
        return
    png = await chart_png(lang, report.progress)
    if fits_caption(text):
        await update.effective_message.reply_photo(photo=png, caption=text)
    else:
        await update.effective_message.reply_text(text)
        await update.effective_message.reply_photo(photo=png)


async def _toggle(update: Update, context: AnyContext, kind: str) -> None:
    assert update.effective_chat and update.effective_message
    svc = services(context)
    lang = await chat_language(update, context)
    reply = update.effective_message.reply_text
    if update.effective_chat.type != "private":
        await reply(t(lang, "digest.private_only"))
        return
    word = context.args[0].lower() if context.args else ""
    chat_id = update.effective_chat.id
    if word in ON_WORDS or word in OFF_WORDS:
        switch = set_weekly_summary if kind == "summary" else set_evening_nudge
        chat = await switch(svc.db, chat_id, word in ON_WORDS, now=svc.clock())
    else:
        async with svc.db.session() as session:
            chat = await chats.get(session, chat_id)
    if chat is None:
        await reply(t(lang, "stats.not_registered"))
        return
    on = chat.weekly_summary if kind == "summary" else chat.evening_nudge
    text = t(lang, f"{kind}.{'on' if on else 'off'}")
    if kind == "nudge" and on and not nudge_possible(chat):
        text += "\n" + t(lang, "nudge.too_late")
    await reply(text)


async def summary_command(update: Update, context: AnyContext) -> None:
    await _toggle(update, context, "summary")


async def nudge_command(update: Update, context: AnyContext) -> None:
    await _toggle(update, context, "nudge")


async def digest_tick(context: AnyContext) -> None:
    """Every minute: send the weekly summaries and nudges that are due."""
    svc = services(context)
    await digests.run_due(svc.db, context.bot, svc.clock())


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CommandHandler(["stats", "voortgang", "statistieken"], stats))
    app.add_handler(CommandHandler(["summary", "samenvatting"], summary_command))
    app.add_handler(CommandHandler(["nudge", "duwtje"], nudge_command))
    if app.job_queue is not None:
        app.job_queue.run_repeating(
            digest_tick, interval=DIGEST_INTERVAL_S, first=DIGEST_INTERVAL_S, name="digests"
        )
