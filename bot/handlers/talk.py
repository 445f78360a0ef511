"""Free text in a private chat, understood in context.

In order: the answer to the question the bot just asked (reminder times, a timezone or city,
a pause date; onboarding's timezone step), a mention of pain or a red flag (answered with the
safety note's own lines and a pointer to a doctor or physiotherapist), a greeting or thanks,
a request for help, an exercise or body area; only then "I didn't understand", at most once
a minute per chat (bot.handlers.fallback.unclear)."""

from __future__ import annotations

from typing import Any
from zoneinfo import available_timezones

from telegram import Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.content.search import area_for
from bot.context import Context
from bot.handlers import exercises, fallback, help, onboarding, progress, schedule
from bot.handlers.ui import (
    answer,
    button,
    error_markup,
    keyboard,
    parse_error,
    reply,
    split_data,
    stale,
)
from bot.i18n import t
from bot.services import awaiting, preferences
from bot.services import onboarding as steps
from bot.services.parsing import ParseError, parse_pause, parse_times, parse_timezone
from bot.services.understanding import Intent, classify, safety_answer

MAX_TEXT = 500


async def ask(update: Update, context: Context, what: str) -> None:
    """Remember that the bot just asked `what`, so the next typed text answers it."""
    assert update.effective_chat
    await awaiting.ask(context.bot_data.db, update.effective_chat.id, what, context.now())


async def _timezone_answer(update: Update, context: Context, text: str, intent: Intent) -> bool:
    lang = await context.language()
    try:
        tz_name = parse_timezone(text, lang)
    except ParseError as error:
        markup = error_markup(lang, error)
        if markup is not None:
            await reply(update, parse_error(lang, error), markup)
            return True
        return False
    await awaiting.answered(context.bot_data.db, _chat_id(update))
    await onboarding.timezone_chosen(update, context, tz_name)
    return True


def _chat_id(update: Update) -> int:
    assert update.effective_chat
    return update.effective_chat.id


def _looks_like_numbers(text: str) -> bool:
    return any(ch.isdigit() for ch in text)


async def _answer_question(update: Update, context: Context, text: str, intent: Intent) -> bool:
    """Take `text` as the answer to the bot's last question; False when it is not one."""
    db, chat_id, at = context.bot_data.db, _chat_id(update), context.now()
    question = await awaiting.question(db, chat_id, at)
    chat = await context.subscriber()
    if question is None or chat is None:
        return False
    lang = chat.language
    if question == "timezone":
        return await _timezone_answer(update, context, text, intent)
    try:
        if question == "times":
            times = parse_times(text)
            changed = await preferences.set_times(db, chat_id, times, at)
            await awaiting.answered(db, chat_id)
            if changed is not None:
                context.remember(changed)
                done = t(lang, "settings.times_set", times=", ".join(changed.times))
                done += schedule.times_warning(lang, changed.times)
                await reply(update, done + "\n" + schedule.next_line(lang, changed))
            return True
        if question == "pause_date":
            spec = parse_pause(text, preferences.local_today(chat, at))
            await awaiting.answered(db, chat_id)
            await schedule.apply_pause(update, context, chat, spec)
            return True
    except ParseError as error:
        if _looks_like_numbers(text):  # meant as an answer: say what is wrong with it
            await reply(update, parse_error(lang, error) + "\n" + t(lang, "talk.try_again"))
            return True
    return False


async def _safety(update: Update, context: Context, text: str, intent: Intent) -> None:
    lang = await context.language()
    found = safety_answer(context.bot_data.catalogue, lang, intent)
    lines = [t(lang, "talk.red_flag" if intent is Intent.RED_FLAG else "talk.pain")]
    lines += [f"• {line}" for line in found.flags]
    if found.flags:
        lines.append("")
    lines += found.advice
    lines += ["", t(lang, "talk.safety_more")]
    area = area_for(text) if intent is Intent.PAIN else None
    markup = None
    if area is not None:
        label = t(lang, "talk.button_area", area=t(lang, f"label.area.{area}"))
        markup = keyboard([button(label, f"br:a:{area}:0:o")])
    await reply(update, "\n".join(lines), markup)


async def free_text(update: Update, context: Context) -> None:
    message = update.effective_message
    assert message and update.effective_chat
    text = (message.text or "")[:MAX_TEXT]
    intent = classify(text)
    if await _onboarding_answer(update, context, text, intent):
        return
    if intent not in (Intent.RED_FLAG, Intent.PAIN) and await _answer_question(
        update, context, text, intent
    ):
        return
    lang = await context.language()
    user = update.effective_user
    if intent in (Intent.RED_FLAG, Intent.PAIN):
        await _safety(update, context, text, intent)
    elif intent is Intent.GREETING:
        name = user.first_name if user else ""
        if await steps.current_step(context.bot_data.db, _chat_id(update)) is not None:
            # Setting up is not finished: point there, not at the other actions.
            await reply(update, t(lang, "talk.greeting_setting_up", name=name))
            return
        await reply(update, t(lang, "talk.greeting", name=name), fallback.main_actions(lang))
    elif intent is Intent.THANKS:
        await reply(update, t(lang, "talk.thanks"))
    elif intent is Intent.HELP:
        await help.help_command(update, context)
    elif not await exercises.answer_query(update, context, text, typed_freely=True):
        await fallback.unclear(update, context)


async def _onboarding_answer(update: Update, context: Context, text: str, intent: Intent) -> bool:
    """During onboarding's first two steps a typed city or timezone is the answer."""
    step = await steps.current_step(context.bot_data.db, _chat_id(update))
    if step not in (steps.LANGUAGE, steps.TIMEZONE) or not text:
        return False
    lang = await context.language()
    try:
        tz_name = parse_timezone(text, lang)
    except ParseError as error:
        markup = error_markup(lang, error)
        if markup is None and (step != steps.TIMEZONE or intent is not Intent.OTHER):
            return False
        text = parse_error(lang, error) + "\n" + t(lang, "onboarding.timezone_retry")
        await reply(update, text, markup)
        return True
    await onboarding.timezone_chosen(update, context, tz_name)
    return True


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query
    parts = split_data(query, "tk")
    match parts:
        case ["ex"]:
            await answer(query)
            await exercises.exercise_command(update, context)
        case ["st"]:
            await answer(query)
            await schedule.settings_command(update, context)
        case ["help"]:
            await answer(query)
            await help.help_command(update, context)
        case ["stats"]:
            await answer(query)
            await progress.stats(update, context)
        case ["z", *zone_parts] if ":".join(zone_parts) in available_timezones():
            await answer(query)
            await awaiting.answered(context.bot_data.db, _chat_id(update))
            await onboarding.timezone_chosen(update, context, ":".join(zone_parts))
        case _:
            await stale(update, context)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """Before bot.handlers.fallback, which then sees only what is not text."""
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^tk:"))
    app.add_handler(
        MessageHandler(
            filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND & ~filters.StatusUpdate.ALL,
            free_text,
        )
    )
