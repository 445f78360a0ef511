"""/stats, /summary and /nudge, and the periodic job that sends weekly summaries and nudges."""

from __future__ import annotations

from telegram import Update

from bot.context import Context
from bot.handlers import choices
from bot.handlers.groups import team_stats
from bot.handlers.ui import app_row, with_app_row
from bot.i18n import t
from bot.services.reports import (
    chart_png,
    fits_caption,
    load_progress,
    set_evening_nudge,
    set_weekly_summary,
    stats_text,
)

Context = Context

ON_WORDS = frozenset({"on", "aan", "ja", "yes", "oui", "activer"})
OFF_WORDS = frozenset({"off", "uit", "nee", "no", "non", "desactiver", "désactiver"})


async def stats(update: Update, context: Context) -> None:
    """Text and chart in one photo message; text only while there is nothing to chart. In a
    group: the team's week and each member's count, as text."""
    assert update.effective_chat and update.effective_message
    if update.effective_chat.type in ("group", "supergroup"):
        await team_stats(update, context)
        return
    svc = context.bot_data
    chat, user = update.effective_chat, update.effective_user
    report = await load_progress(svc.db, chat.id, user.id if user else chat.id, svc.clock())
    if report is None:
        lang = await context.language()
        await update.effective_message.reply_text(t(lang, "stats.not_registered"))
        return
    lang = report.chat.language
    name = user.first_name if user and chat.type != "private" else None
    text = stats_text(lang, report.progress, name)
    if report.progress.empty:
        await update.effective_message.reply_text(text)
        return
    png = await chart_png(lang, report.progress)
    in_app = with_app_row(None, app_row(context, update, lang, "progress"))
    if fits_caption(text):
        await update.effective_message.reply_photo(photo=png, caption=text, reply_markup=in_app)
    else:
        await update.effective_message.reply_text(text)
        await update.effective_message.reply_photo(photo=png, reply_markup=in_app)


async def _toggle(update: Update, context: Context, kind: str) -> None:
    assert update.effective_chat and update.effective_message
    svc = context.bot_data
    lang = await context.language()
    reply = update.effective_message.reply_text
    if update.effective_chat.type != "private":
        await reply(t(lang, "digest.private_only"))
        return
    typed = context.args[0] if context.args else ""
    word = typed.lower()
    chat_id = update.effective_chat.id
    if word in ON_WORDS or word in OFF_WORDS:
        switch = set_weekly_summary if kind == "summary" else set_evening_nudge
        chat = await switch(svc.db, chat_id, word in ON_WORDS, now=svc.clock())
    else:
        chat = await context.subscriber()
    if chat is None:
        await reply(t(lang, "stats.not_registered"))
        return
    on = chat.weekly_summary if kind == "summary" else chat.evening_nudge
    text = choices.switch_text(lang, kind, chat)
    if word and word not in ON_WORDS and word not in OFF_WORDS:  # "/nudge maybe": say so
        text = t(lang, "switch.unknown_word", word=typed[:40]) + "\n\n" + text
    await reply(text, reply_markup=choices.switch_markup(lang, kind, on))


async def summary_command(update: Update, context: Context) -> None:
    await _toggle(update, context, "summary")


async def nudge_command(update: Update, context: Context) -> None:
    await _toggle(update, context, "nudge")
