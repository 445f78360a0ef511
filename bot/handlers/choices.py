"""A button for every choice: how long to pause, a times picker, the summary and nudge
switches, and a confirmation before Stop. Callback data ``ch:<action>[:<arg>]``.

Every change answers with one "saved" line above the refreshed screen, and current choices
carry a ✓, so the message always shows what is now true."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import Application, CallbackQueryHandler

from bot.context import Context
from bot.handlers import schedule
from bot.handlers.ui import answer, button, edit, keyboard, reply, split_data, stale
from bot.i18n import t
from bot.services import awaiting, preferences, reports
from bot.services.parsing import MAX_TIMES, PauseSpec
from bot.services.reports import nudge_clock
from bot.services.subscribers import Subscriber

PAUSE_DAYS = ("1", "3", "7")
#: Steps of the times picker, in minutes.
STEPS = (-60, -15, 15, 60)
DEFAULT_DRAFT = "12:00"


def saved(lang: str) -> str:
    return t(lang, "choice.saved") + "\n\n"


# ---------------------------------------------------------------------------- pause


def pause_menu(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    rows = [*schedule.pause_buttons(lang).inline_keyboard]
    rows.append((button(t(lang, "settings.button_back"), "st:h"),))
    return t(lang, "choice.pause_menu"), InlineKeyboardMarkup(rows)


def stop_confirm(lang: str) -> tuple[str, InlineKeyboardMarkup]:
    return t(lang, "choice.stop_confirm"), keyboard(
        [button(t(lang, "choice.stop_yes"), "ch:sy"), button(t(lang, "choice.stop_no"), "st:h")]
    )


# ------------------------------------------------------------------------- times picker


def _minutes(value: str) -> int:
    return int(value[:2]) * 60 + int(value[2:])


def _hhmm(minutes: int) -> str:
    minutes %= 24 * 60
    return f"{minutes // 60:02d}{minutes % 60:02d}"


def _shown(code: str) -> str:
    return f"{code[:2]}:{code[2:]}"


def _valid(code: str) -> bool:
    return len(code) == 4 and code.isdigit() and int(code[:2]) < 24 and int(code[2:]) < 60


def times_picker(lang: str, times: Sequence[str], draft: str) -> tuple[str, InlineKeyboardMarkup]:
    """The chat's times as buttons that remove them, and a draft time to step and add."""
    text = t(lang, "choice.times_picker", times=", ".join(times))
    remove = [button(f"✕ {x}", f"ch:tr:{x.replace(':', '')}") for x in times]
    steps = [
        button(
            ("+" if step > 0 else "−") + _step_label(abs(step)),
            f"ch:tp:{_hhmm(_minutes(draft) + step)}",
        )
        for step in STEPS
    ]
    rows: list[list[Any]] = [remove[i : i + 3] for i in range(0, len(remove), 3)]
    rows.append(steps)
    if len(times) < MAX_TIMES and _shown(draft) not in times:
        rows.append([button(t(lang, "choice.times_add", time=_shown(draft)), f"ch:ta:{draft}")])
    rows.append([button(t(lang, "settings.button_back"), "st:h")])
    return text, keyboard(*rows)


def _step_label(minutes: int) -> str:
    return f"{minutes // 60}h" if minutes >= 60 else f"{minutes}m"


def draft_for(times: Sequence[str]) -> str:
    """A sensible time to start from: an hour after the last one, or noon."""
    if not times:
        return DEFAULT_DRAFT.replace(":", "")
    last = _minutes(times[-1].replace(":", "")) + 60
    return _hhmm(min(last - last % 15, 23 * 60))  # on the quarter, as the steps go


async def open_times(update: Update, context: Context, chat: Subscriber) -> None:
    """The picker, in place of the message the button belongs to (or as a reply)."""
    await awaiting.ask(context.bot_data.db, chat.id, "times", context.now())
    text, markup = times_picker(chat.language, chat.times, draft_for(chat.times))
    text += "\n" + t(chat.language, "talk.or_type")
    if update.callback_query:
        await edit(update.callback_query, text, markup)
    else:
        await reply(update, text, markup)


# ------------------------------------------------------------------- summary and nudge


def switch_markup(lang: str, kind: str, on: bool) -> InlineKeyboardMarkup:
    code = "ws" if kind == "summary" else "en"
    mark = {True: "✓ " if on else "", False: "" if on else "✓ "}
    return keyboard(
        [
            button(mark[True] + t(lang, "choice.on"), f"ch:{code}:1"),
            button(mark[False] + t(lang, "choice.off"), f"ch:{code}:0"),
        ]
    )


def switch_text(lang: str, kind: str, chat: Subscriber) -> str:
    on = chat.weekly_summary if kind == "summary" else chat.evening_nudge
    if kind == "nudge" and on:
        at = nudge_clock(chat)
        if at is None:
            return t(lang, "nudge.state_on") + "\n" + t(lang, "nudge.too_late")
        return t(lang, "nudge.on", time=at)
    return t(lang, f"{kind}.{'on' if on else 'off'}")


# ----------------------------------------------------------------------------- buttons


async def _apply(parts: list[str], chat: Subscriber, context: Context) -> Subscriber | None:
    db, chat_id, at = context.bot_data.db, chat.id, context.now()
    match parts:
        case ["p", days] if days in PAUSE_DAYS:
            resume_on = preferences.local_today(chat, at) + timedelta(days=int(days))
            return await preferences.pause(db, chat_id, PauseSpec(resume_on), at)
        case ["sy"]:
            return await preferences.stop(db, chat_id, at)
        case ["ta", code] if _valid(code):
            times = sorted({*chat.times, _shown(code)})
            if len(times) > MAX_TIMES:
                return None
            return await preferences.set_times(db, chat_id, times, at)
        case ["tr", code] if _valid(code) and _shown(code) in chat.times:
            times = [x for x in chat.times if x != _shown(code)]
            if not times:
                return None
            return await preferences.set_times(db, chat_id, times, at)
        case ["ws", on] if on in ("0", "1"):
            return await reports.set_weekly_summary(db, chat_id, on == "1", now=at)
        case ["en", on] if on in ("0", "1"):
            return await reports.set_evening_nudge(db, chat_id, on == "1", now=at)
    return None


async def on_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query
    parts = split_data(query, "ch")
    chat = await context.subscriber()
    if parts is None or chat is None:
        await stale(update, context)
        return
    lang = chat.language
    match parts:
        case ["pm"]:
            await answer(query)
            await awaiting.ask(context.bot_data.db, chat.id, "pause_date", context.now())
            await edit(query, *pause_menu(lang))
            return
        case ["pu"]:
            await answer(query)
            await awaiting.ask(context.bot_data.db, chat.id, "pause_date", context.now())
            await edit(query, t(lang, "choice.pause_ask_date"))
            return
        case ["sc"]:
            await answer(query)
            await edit(query, *stop_confirm(lang))
            return
        case ["t"]:
            await answer(query)
            await open_times(update, context, chat)
            return
        case ["tp", code] if _valid(code):
            await answer(query)
            await edit(query, *times_picker(lang, chat.times, code))
            return
        case ["tr", code] if _valid(code) and list(chat.times) == [_shown(code)]:
            await answer(query, t(lang, "choice.times_last"), alert=True)
            return
    changed = await _apply(parts, chat, context)
    if changed is None:
        await stale(update, context)
        return
    context.remember(changed)
    await answer(query, t(lang, "choice.saved"))
    if parts[0] in ("ta", "tr"):
        draft = draft_for(changed.times)
        text, markup = times_picker(lang, changed.times, draft)
        await edit(query, saved(lang) + text + schedule.times_warning(lang, changed.times), markup)
    elif parts[0] in ("ws", "en"):
        kind = "summary" if parts[0] == "ws" else "nudge"
        on = changed.weekly_summary if kind == "summary" else changed.evening_nudge
        await edit(
            query, saved(lang) + switch_text(lang, kind, changed), switch_markup(lang, kind, on)
        )
    else:
        text, markup = await schedule.settings_screen(changed, context)
        await edit(query, saved(lang) + text, markup)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_button, pattern=r"^ch:"))
