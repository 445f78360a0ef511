"""/start: onboarding in three steps (language, timezone, schedule), then never again.

The step is read from and written to the database on every update (see
bot.services.onboarding), so a restart resumes where the subscriber was; no
ConversationHandler state lives in memory. One message is edited from step to step.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.content.render import render_safety
from bot.context import Context
from bot.handlers.ui import (
    answer,
    button,
    days_label,
    edit,
    keyboard,
    local_moment,
    reply,
    split_data,
    stale,
    times_label,
    when_label,
)
from bot.i18n import language_for, t
from bot.services import onboarding, preferences
from bot.services.subscribers import Subscriber
from bot.services.zones import guess_timezone, zone_label

log = logging.getLogger(__name__)

#: One-tap timezones, by short code (keeps callback data small and checkable).
QUICK_ZONES = {
    "ams": "Europe/Amsterdam",
    "bru": "Europe/Brussels",
    "lon": "Europe/London",
    "utc": "UTC",
}
QUICK_FOR = {"nl": ("ams", "bru"), "en": ("lon", "ams", "utc"), "fr": ("bru", "ams", "utc")}
#: The language buttons, in this order, for onboarding and /language.
LANGUAGE_BUTTONS = (("nl", "🇳🇱 Nederlands"), ("en", "🇬🇧 English"), ("fr", "🇫🇷 Français"))


def language_step(lang: str, intro: str) -> tuple[str, InlineKeyboardMarkup]:
    text = intro + "\n\n" + t(lang, "onboarding.step_language")
    markup = keyboard(
        [
            button(("✓ " if code == lang else "") + label, f"ob:l:{code}")
            for code, label in LANGUAGE_BUTTONS
        ]
    )
    return text, markup


def timezone_step(lang: str, group: bool = False) -> tuple[str, InlineKeyboardMarkup]:
    """In a group (privacy mode: the bot reads commands and buttons only) a typed city would
    never arrive, so the text offers the buttons and /timezone instead."""
    buttons = [button(zone_label(QUICK_ZONES[code]), f"ob:z:{code}") for code in QUICK_FOR[lang]]
    key = "groups.step_timezone" if group else "onboarding.step_timezone"
    return t(lang, key), keyboard(buttons)


def confirm_step(
    lang: str, progress: onboarding.Progress, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    chat = progress.chat
    text = t(
        lang,
        "onboarding.step_confirm",
        times=times_label(chat.times),
        days=days_label(lang, chat.days),
        timezone=zone_label(chat.timezone),
        next=when_label(lang, progress.first, chat.timezone, now),
    )
    return text, keyboard([button(t(lang, "onboarding.button_confirm"), "ob:c")])


def step_screen(
    progress: onboarding.Progress, now: datetime
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The screen for a step after the first (the first needs a greeting, see start())."""
    chat, lang = progress.chat, progress.chat.language
    if progress.step == onboarding.TIMEZONE:
        return timezone_step(lang, chat.type in ("group", "supergroup"))
    if progress.step == onboarding.CONFIRM:
        return confirm_step(lang, progress, now)
    return t(lang, "onboarding.done"), None


async def start(update: Update, context: Context) -> None:
    assert update.effective_chat and update.effective_message
    user = update.effective_user
    name = user.first_name if user else ""
    progress = await onboarding.begin(
        context.bot_data.db,
        update.effective_chat.id,
        chat_type=update.effective_chat.type,
        language=language_for(user.language_code if user else None),
        now=context.now(),
        timezone=guess_timezone(user.language_code if user else None),
        load=context.bot_data.default_load,
    )
    chat, lang = progress.chat, progress.chat.language
    if progress.step is None:
        await reply(update, t(lang, "start.welcome_back", name=name, times=times_label(chat.times)))
        return
    if progress.created:
        intro = t(lang, "onboarding.welcome", name=name, times=times_label(chat.times))
    else:
        intro = t(lang, "onboarding.resume", name=name)
    if chat.type in ("group", "supergroup"):
        intro += "\n\n" + t(lang, "groups.intro")
    markup: InlineKeyboardMarkup | None
    if progress.step == onboarding.LANGUAGE:
        text, markup = language_step(lang, intro)
    else:
        screen, markup = step_screen(progress, context.now())
        text = intro + "\n\n" + screen
    await reply(update, text, markup)


async def _show_safety_once(update: Update, context: Context, chat: Subscriber) -> None:
    """The safety note, on its own message, the first time onboarding completes."""
    if await preferences.mark_safety_shown(context.bot_data.db, chat.id):
        assert update.effective_chat
        await update.effective_chat.send_message(
            t(chat.language, "onboarding.safety_intro")
            + "\n\n"
            + render_safety(chat.language, context.bot_data.catalogue)
        )


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat
    parts = split_data(query, "ob")
    db, chat_id, at = context.bot_data.db, update.effective_chat.id, context.now()
    try:
        if parts == ["c"]:
            progress = await onboarding.confirm(db, chat_id, at)
            await answer(query)
            chat = progress.chat
            first = when_label(chat.language, chat.next_due_at, chat.timezone, at)
            text = t(chat.language, "onboarding.done_first", first=first)
            await edit(query, text)
            await _show_safety_once(update, context, progress.chat)
            return
        if parts and len(parts) == 2 and parts[0] == "l":
            progress = await onboarding.choose_language(db, chat_id, parts[1], at)
        elif parts and len(parts) == 2 and parts[0] == "z" and parts[1] in QUICK_ZONES:
            progress = await onboarding.choose_timezone(db, chat_id, QUICK_ZONES[parts[1]], at)
        else:
            raise onboarding.StaleStep
    except onboarding.StaleStep:
        await stale(update, context)
        return
    await answer(query)
    text, markup = step_screen(progress, at)
    await edit(query, text, markup)


async def timezone_chosen(update: Update, context: Context, tz_name: str) -> None:
    """A typed, shared or /timezone-given timezone: during onboarding it moves to the last
    step (in a group, /timezone is the only way to name a zone without a button)."""
    assert update.effective_chat
    db, chat_id, at = context.bot_data.db, update.effective_chat.id, context.now()
    try:
        progress = await onboarding.choose_timezone(db, chat_id, tz_name, at, typed=True)
    except onboarding.StaleStep:
        chat = await preferences.set_timezone(db, chat_id, tz_name, at)
        lang = chat.language if chat else await context.language()
        if chat is None:
            await reply(update, t(lang, "settings.not_registered"))
            return
        text = t(
            lang,
            "settings.timezone_set",
            timezone=zone_label(tz_name),
            next=local_moment(lang, chat.next_due_at, chat.timezone),
        )
        await reply(update, text)
        return
    text, markup = confirm_step(progress.chat.language, progress, at)
    await reply(update, text, markup)


async def on_location(update: Update, context: Context) -> None:
    """A shared location, looked up offline: tzfpy's polygons, no network call."""
    message = update.effective_message
    assert message and message.location
    # Imported on the first shared location: its polygon index is ~33 MB, and most
    # processes rarely see a location.
    from tzfpy import get_tz

    tz_name = await asyncio.to_thread(get_tz, message.location.longitude, message.location.latitude)
    if not tz_name:
        lang = await context.language()
        await reply(update, t(lang, "onboarding.location_unknown"))
        return
    await timezone_chosen(update, context, tz_name)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ob:"))
    app.add_handler(MessageHandler(filters.LOCATION, on_location))
    # Typed text (a city at the timezone step) is read by bot.handlers.talk.
