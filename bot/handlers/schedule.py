"""Schedule and preference commands, and the /settings screen with its buttons.

Handlers only parse, call a bot.services.preferences function and reply; the rules (what a
valid time is, when the next reminder falls) live in plain functions tested without Telegram.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import Context
from bot.handlers.onboarding import LANGUAGE_BUTTONS, QUICK_ZONES, timezone_chosen
from bot.handlers.ui import (
    answer,
    app_row,
    args_text,
    button,
    days_label,
    edit,
    error_markup,
    keyboard,
    language_label,
    local_moment,
    parse_error,
    place_label,
    reply,
    split_data,
    stale,
    status_line,
    times_label,
    with_app_row,
)
from bot.i18n import t
from bot.scheduling.rules import is_paused
from bot.scheduling.timemath import ALL_DAYS, WORKDAYS
from bot.services import awaiting, calendars, preferences, reports
from bot.services.parsing import (
    ParseError,
    PauseSpec,
    parse_days,
    parse_language,
    parse_pause,
    parse_place,
    parse_times,
    parse_timezone,
    too_close,
)
from bot.services.subscribers import Subscriber
from bot.services.zones import zone_label

Change = Callable[[], Awaitable[Subscriber | None]]
T = TypeVar("T")


def next_line(lang: str, chat: Subscriber) -> str:
    return t(lang, "settings.next", next=local_moment(lang, chat.next_due_at, chat.timezone))


async def _registered_chat(update: Update, context: Context) -> Subscriber | None:
    """The chat row, or None after telling the user to /start first."""
    assert update.effective_chat
    chat = await context.subscriber()
    if chat is None:
        lang = await context.language()
        await reply(update, t(lang, "settings.not_registered"))
    return chat


async def _argument(
    update: Update,
    context: Context,
    lang: str,
    parse: Callable[[str], T],
    usage: str,
    markup: InlineKeyboardMarkup | None = None,
) -> T | None:
    """The command's parsed argument, or None after answering with its usage or the error."""
    text = args_text(context)
    if not text:
        await reply(update, usage, markup)
        return None
    try:
        return parse(text)
    except ParseError as error:
        await reply(update, parse_error(lang, error), error_markup(lang, error))
        return None


async def _apply(update: Update, context: Context, change: Change, key: str, **kw: str) -> None:
    """Run a preference change and confirm it with the next reminder moment."""
    chat = await change()
    if chat is None:
        lang = await context.language()
        await reply(update, t(lang, "settings.not_registered"))
        return
    note = times_warning(chat.language, chat.times) if key == "settings.times_set" else ""
    text = t(chat.language, key, **kw) + note
    await reply(update, text + "\n" + next_line(chat.language, chat))


def times_warning(lang: str, times: Sequence[str]) -> str:
    """A word about two reminders very close together ("9:00 9:05"), or nothing."""
    pair = too_close(times)
    return "\n" + t(lang, "talk.times_close", first=pair[0], second=pair[1]) if pair else ""


# ---------------------------------------------------------------------------- commands


async def times_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    usage = t(chat.language, "settings.times_usage", times=times_label(chat.times))
    picker = None
    if not args_text(context):
        # The picker's buttons under the typed form: choices imports this module, hence here.
        from bot.handlers.choices import draft_for, times_picker

        await awaiting.ask(context.bot_data.db, chat.id, "times", context.now())
        usage += "\n" + t(chat.language, "talk.or_type")
        _, picker = times_picker(chat.language, chat.times, draft_for(chat.times))
    times = await _argument(update, context, chat.language, parse_times, usage, picker)
    if times is None:
        return
    db, chat_id, at = context.bot_data.db, chat.id, context.now()
    await _apply(
        update,
        context,
        lambda: preferences.set_times(db, chat_id, times, at),
        "settings.times_set",
        times=times_label(times),
    )


def days_keyboard(lang: str, mask: int, prefix: str = "st") -> InlineKeyboardMarkup:
    days = [
        button(("✓ " if mask >> i & 1 else "") + t(lang, f"label.day.{i}"), f"{prefix}:d:{i}")
        for i in range(7)
    ]
    return keyboard(
        days[:4],
        days[4:],
        [
            button(t(lang, "label.days.workdays"), f"{prefix}:ds:w"),
            button(t(lang, "label.days.all"), f"{prefix}:ds:a"),
        ],
        [button(t(lang, "settings.button_back"), f"{prefix}:h")],
    )


async def days_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    lang = chat.language
    usage = t(lang, "settings.days_usage", days=days_label(lang, chat.days))
    days = await _argument(
        update, context, chat.language, parse_days, usage, days_keyboard(lang, chat.days)
    )
    if days is None:
        return
    db, chat_id, at = context.bot_data.db, chat.id, context.now()
    await _apply(
        update,
        context,
        lambda: preferences.set_days(db, chat_id, days, at),
        "settings.days_set",
        days=days_label(lang, days),
    )


def timezone_keyboard(lang: str, current: str = "") -> InlineKeyboardMarkup:
    zones = [
        button(("✓ " if name == current else "") + zone_label(name), f"st:z:{code}")
        for code, name in QUICK_ZONES.items()
    ]
    return keyboard(zones[:2], zones[2:], [button(t(lang, "settings.button_back"), "st:h")])


async def timezone_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    lang = chat.language
    usage = t(lang, "settings.timezone_usage", timezone=zone_label(chat.timezone))
    if not args_text(context):
        await awaiting.ask(context.bot_data.db, chat.id, "timezone", context.now())
        usage += "\n" + t(lang, "talk.or_type")
    tz_name = await _argument(
        update,
        context,
        chat.language,
        lambda text: parse_timezone(text, lang),
        usage,
        timezone_keyboard(lang, chat.timezone),
    )
    if tz_name is None:
        return
    await timezone_chosen(update, context, tz_name)


def language_keyboard(current: str = "", back: bool = False) -> InlineKeyboardMarkup:
    return keyboard(
        [
            button(("✓ " if code == current else "") + label, f"st:l:{code}")
            for code, label in LANGUAGE_BUTTONS
        ],
        [button(t(current or "en", "settings.button_back"), "st:h")] if back else [],
    )


async def language_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    lang = chat.language
    usage = t(lang, "settings.language_usage", language=language_label(lang, lang))
    language = await _argument(
        update, context, chat.language, parse_language, usage, language_keyboard(lang)
    )
    if language is None:
        return
    await preferences.set_language(context.bot_data.db, chat.id, language, context.now())
    await reply(update, t(language, "settings.language_set"))


def place_keyboard(lang: str, current: str = "", back: bool = False) -> InlineKeyboardMarkup:
    def label(place: str) -> str:
        return ("✓ " if place == current else "") + t(lang, f"label.place.{place}").capitalize()

    return keyboard(
        [button(label("office"), "st:p:office"), button(label("home"), "st:p:home")],
        [button(t(lang, "settings.button_back"), "st:h")] if back else [],
    )


async def place_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    lang = chat.language
    usage = t(lang, "settings.place_usage", place=place_label(lang, chat.place))
    place = await _argument(
        update, context, chat.language, parse_place, usage, place_keyboard(lang, chat.place)
    )
    if place is None:
        return
    await preferences.set_place(context.bot_data.db, chat.id, place, context.now())
    await reply(update, t(lang, f"settings.place_set.{place}"))


async def pause_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    lang, at = chat.language, context.now()
    if not chat.onboarded:
        await reply(update, t(lang, "label.status.setting_up"))
        return
    if not chat.active:
        await reply(update, t(lang, "state.stopped_cannot_pause"))
        return
    if not args_text(context):
        # A typed answer ("3 dagen", "tot vrijdag") is understood too (bot.handlers.talk).
        await awaiting.ask(context.bot_data.db, chat.id, "pause_date", at)
        await reply(update, t(lang, "choice.pause_menu"), pause_buttons(lang))
        return
    try:
        spec = parse_pause(args_text(context), preferences.local_today(chat, at))
    except ParseError as error:
        await reply(update, parse_error(lang, error))
        return
    await apply_pause(update, context, chat, spec)


def pause_buttons(lang: str) -> InlineKeyboardMarkup:
    """How long to pause, one tap each (handled in bot.handlers.choices)."""
    return keyboard(
        [
            button(t(lang, "choice.pause_today"), "ch:p:1"),
            button(t(lang, "choice.pause_3"), "ch:p:3"),
        ],
        [
            button(t(lang, "choice.pause_week"), "ch:p:7"),
            button(t(lang, "choice.pause_until"), "ch:pu"),
        ],
    )


async def apply_pause(update: Update, context: Context, chat: Subscriber, spec: PauseSpec) -> None:
    paused = await preferences.pause(context.bot_data.db, chat.id, spec, context.now())
    if paused is None:
        return
    lang = paused.language
    text = t(
        lang,
        "settings.paused",
        next=local_moment(lang, paused.next_due_at, paused.timezone),
    )
    await reply(update, text)


async def resume_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    if not chat.onboarded:
        await reply(update, t(chat.language, "label.status.setting_up"))
        return
    if chat.active and not is_paused(chat, context.now()):
        lang = chat.language
        await reply(update, t(lang, "state.already_active") + "\n" + next_line(lang, chat))
        return
    db, chat_id, at = context.bot_data.db, chat.id, context.now()
    await _apply(update, context, lambda: preferences.resume(db, chat_id, at), "settings.resumed")


async def stop_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    await preferences.stop(context.bot_data.db, chat.id, context.now())
    await reply(update, t(chat.language, "settings.stopped"))


# --------------------------------------------------------------------- the settings screen


async def settings_screen(chat: Subscriber, context: Context) -> tuple[str, InlineKeyboardMarkup]:
    lang = chat.language
    at = context.now()
    coming = await calendars.coming(context.bot_data.db, chat, at, count=1)
    next_at = local_moment(lang, coming[0].at if coming else None, chat.timezone)
    if coming:
        next_at = calendars.next_label(lang, next_at, coming[0])
    text = t(
        lang,
        "settings.screen",
        status=status_line(lang, chat, at),
        language=language_label(lang, lang),
        timezone=zone_label(chat.timezone),
        times=times_label(chat.times),
        days=days_label(lang, chat.days),
        place=place_label(lang, chat.place),
        next=next_at,
        summary=_switch_label(lang, chat.weekly_summary),
        nudge=_switch_label(lang, chat.evening_nudge),
    )
    paused = is_paused(chat, at)
    if not chat.active or paused:
        pause_row = [button(t(lang, "settings.button_resume"), "st:r")]
    else:
        pause_row = [
            button(t(lang, "choice.button_pause"), "ch:pm"),
            button(t(lang, "settings.button_stop"), "ch:sc"),
        ]
    markup = keyboard(
        [
            button("🌐 " + language_label(lang, lang), "st:lm"),
            button("📍 " + place_label(lang, chat.place).capitalize(), "st:pm"),
        ],
        [
            button(t(lang, "settings.button_times"), "ch:t"),
            button(t(lang, "settings.button_days"), "st:dm"),
            button(t(lang, "settings.button_timezone"), "st:zm"),
        ],
        pause_row,
        [
            button(
                t(lang, "settings.button_summary", state=_switch_label(lang, chat.weekly_summary)),
                f"st:ws:{int(not chat.weekly_summary)}",
            ),
            button(
                t(lang, "settings.button_nudge", state=_switch_label(lang, chat.evening_nudge)),
                f"st:en:{int(not chat.evening_nudge)}",
            ),
        ],
    )
    return text, markup


def _switch_label(lang: str, on: bool) -> str:
    return t(lang, "settings.switch_on" if on else "settings.switch_off")


async def settings_command(update: Update, context: Context) -> None:
    chat = await _registered_chat(update, context)
    if chat is None:
        return
    text, markup = await settings_screen(chat, context)
    await reply(
        update, text, with_app_row(markup, app_row(context, update, chat.language, "schedule"))
    )


async def _settings_action(
    parts: list[str], chat: Subscriber, context: Context
) -> Subscriber | None:
    """Apply one settings button; None for data that is not a valid action."""
    db, chat_id, at = context.bot_data.db, chat.id, context.now()
    match parts:
        case ["l", code] if code in preferences.LANGUAGES:
            return await preferences.set_language(db, chat_id, code, at)
        case ["p", place] if place in preferences.PLACES:
            return await preferences.set_place(db, chat_id, place, at)
        case ["z", code] if code in QUICK_ZONES:
            return await preferences.set_timezone(db, chat_id, QUICK_ZONES[code], at)
        case ["ds", "w"]:
            return await preferences.set_days(db, chat_id, WORKDAYS, at)
        case ["ds", "a"]:
            return await preferences.set_days(db, chat_id, ALL_DAYS, at)
        case ["d", day] if day in {"0", "1", "2", "3", "4", "5", "6"}:
            return await preferences.toggle_day(db, chat_id, int(day), at)
        case ["pa"]:
            tomorrow = preferences.local_today(chat, at) + timedelta(days=1)
            return await preferences.pause(db, chat_id, PauseSpec(tomorrow), at)
        case ["r"]:
            return await preferences.resume(db, chat_id, at)
        case ["s"]:
            return await preferences.stop(db, chat_id, at)
        case ["ws", on] if on in {"0", "1"}:
            return await reports.set_weekly_summary(db, chat_id, on == "1", now=at)
        case ["en", on] if on in {"0", "1"}:
            return await reports.set_evening_nudge(db, chat_id, on == "1", now=at)
        case ["h"] | ["dm"] | ["zm"] | ["t"] | ["lm"] | ["pm"]:
            return chat
    return None


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat
    parts = split_data(query, "st")
    chat = await context.subscriber()
    if parts is None or chat is None:
        await stale(update, context)
        return
    try:
        changed = await _settings_action(parts, chat, context)
    except ValueError:  # the last weekday cannot be switched off
        await answer(query, t(chat.language, "settings.one_day_needed"), alert=True)
        return
    if changed is None:
        await stale(update, context)
        return
    lang = changed.language
    await answer(query)
    if parts[0] in ("d", "ds", "dm"):
        usage = t(lang, "settings.days_usage", days=days_label(lang, changed.days))
        if parts[0] != "dm":
            usage = t(lang, "choice.saved") + "\n\n" + usage
        await edit(query, usage, days_keyboard(lang, changed.days))
    elif parts[0] in ("zm",):
        await awaiting.ask(context.bot_data.db, changed.id, "timezone", context.now())
        usage = t(lang, "settings.timezone_usage", timezone=zone_label(changed.timezone))
        markup = timezone_keyboard(lang, changed.timezone)
        await edit(query, usage + "\n" + t(lang, "talk.or_type"), markup)
    elif parts[0] == "t":
        await awaiting.ask(context.bot_data.db, changed.id, "times", context.now())
        back = keyboard([button(t(lang, "settings.button_back"), "st:h")])
        usage = t(lang, "settings.times_usage", times=times_label(changed.times))
        await edit(query, usage + "\n" + t(lang, "talk.or_type"), back)
    elif parts[0] == "lm":
        usage = t(lang, "settings.language_usage", language=language_label(lang, lang))
        await edit(query, usage, language_keyboard(lang, back=True))
    elif parts[0] == "pm":
        usage = t(lang, "settings.place_usage", place=place_label(lang, changed.place))
        await edit(query, usage, place_keyboard(lang, changed.place, back=True))
    else:
        text, markup = await settings_screen(changed, context)
        if parts[0] != "h":  # a change: one line says it was saved
            text = t(lang, "choice.saved") + "\n\n" + text
        await edit(query, text, markup)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^st:"))
