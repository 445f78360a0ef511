"""/exercise, /exercises and guided mode.

Guided mode edits one message in place. Its JobQueue job (one per chat, named
``guided:<chat_id>``) wakes every TICK_SECONDS and renders bot.services.guided.frame_at for the
time elapsed, so the countdown never drifts and at most one edit per tick leaves per chat. The
buttons carry the exercise and step in their data, so after a restart "Next" and "Done" still
work; only the automatic countdown, held in memory, stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import Application, CallbackQueryHandler, Job

from bot.content.animation import has_animation
from bot.content.models import Catalogue, Exercise
from bot.content.render import guided_steps, render_exercise
from bot.content.search import lookup
from bot.context import Context
from bot.handlers.animations import send_clip, send_exercise
from bot.handlers.ui import (
    answer,
    app_row,
    args_text,
    button,
    edit,
    keyboard,
    place_label,
    reply,
    split_data,
    stale,
    with_app_row,
)
from bot.i18n import t
from bot.services import exercises, guided
from bot.services.animations import guided_caption
from bot.services.parsing import shown
from bot.services.safety import SAFETY_DATA

log = logging.getLogger(__name__)

MAX_QUERY = 100


# ---------------------------------------------------------------------------- one exercise


def exercise_keyboard(lang: str, exercise: Exercise, done: bool = True) -> InlineKeyboardMarkup:
    # An exercise the article only names has no traceable steps to guide.
    guided_button = [button(t(lang, "exercises.button_guided"), f"gd:s:{exercise.id}")]
    row = [
        *(guided_button if exercise.offered else []),
        button(t(lang, "exercises.button_another"), f"ex:r:{exercise.id}"),
    ]
    done_row = [button(t(lang, "exercises.button_done"), f"ex:d:{exercise.id}")] if done else []
    safety_row = [button(t(lang, "privacy.button_safety"), SAFETY_DATA)]
    return keyboard(row, done_row, safety_row)


async def _place(update: Update, context: Context) -> str:
    assert update.effective_chat
    chat = await context.subscriber()
    return chat.place if chat else "office"


async def show_exercise(
    update: Update,
    context: Context,
    exercise: Exercise,
    lang: str,
    in_app: list[InlineKeyboardButton] | None = None,
) -> None:
    """The exercise card: with its animation when it has one, else as text; `in_app` is the
    "Open in app" row /exercise adds in private chats."""
    assert update.effective_chat
    chat_id = update.effective_chat.id
    markup = with_app_row(exercise_keyboard(lang, exercise), in_app or [])
    parts = context.bot_data
    sent = await send_exercise(
        context.bot, parts.animations, parts.catalogue, chat_id, exercise, lang, markup
    )
    if sent is None:
        await update.effective_chat.send_message(
            render_exercise(exercise, lang, parts.catalogue), reply_markup=markup
        )


async def exercise_command(update: Update, context: Context) -> None:
    lang = await context.language()
    catalogue = context.bot_data.catalogue
    query = args_text(context)
    in_app = app_row(context, update, lang, "exercises")
    if not query:
        exercise = exercises.random_exercise(catalogue, await _place(update, context))
        await show_exercise(update, context, exercise, lang, in_app)
        return
    await answer_query(update, context, query)


async def answer_query(
    update: Update, context: Context, query: str, *, typed_freely: bool = False
) -> bool:
    """Answer a search honestly: the exercise asked for, a body area's list for the chat's
    place, or say plainly what the catalogue covers. For free text (`typed_freely`) only a
    clear find is answered; False means nothing was said."""
    lang = await context.language()
    catalogue = context.bot_data.catalogue
    place = await _place(update, context)
    found = lookup(catalogue, query[:MAX_QUERY], place)
    if found.kind == "exercise" and found.exercise is not None:
        in_app = app_row(context, update, lang, "exercises")
        await show_exercise(update, context, found.exercise, lang, in_app)
        return True
    if found.kind == "area" and found.area is not None:
        await reply(update, *browse_page(catalogue, lang, "a", found.area, 0, place))
        return True
    if typed_freely and found.kind in ("close", "none"):
        return False
    browse = button(t(lang, "search.button_browse"), "br:h")
    if found.kind == "close":
        buttons = [[button(e.name.get(lang)[:60], f"ex:s:{e.id}")] for e in found.close]
        text = t(lang, "search.close", query=shown(query))
        await reply(update, text, keyboard(*buttons, [browse]))
        return True
    key = "search.elsewhere" if found.kind == "elsewhere" else "search.nothing"
    await reply(update, t(lang, key, query=shown(query)), keyboard([browse]))
    return True


async def on_exercise_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat and update.effective_user
    parts = split_data(query, "ex")
    catalogue = context.bot_data.catalogue
    exercise = exercises.find_exercise(catalogue, parts[1]) if parts and len(parts) == 2 else None
    if parts is None or exercise is None or parts[0] not in ("s", "r", "d"):
        await stale(update, context)
        return
    lang = await context.language()
    action = parts[0]
    if action == "s":
        await answer(query)
        await show_exercise(update, context, exercise, lang)
    elif action == "r":
        other = exercises.random_exercise(
            catalogue, await _place(update, context), exclude=exercise.id
        )
        await answer(query)
        # A text card is replaced in place; an animation cannot become text (or the other
        # way round), so then the other exercise arrives as a new card.
        text_card = query.message is not None and getattr(query.message, "text", None)
        if text_card and not has_animation(other.id):
            await edit(
                query, render_exercise(other, lang, catalogue), exercise_keyboard(lang, other)
            )
        else:
            await show_exercise(update, context, other, lang)
    else:
        await _record(update, context, exercise, "exercise")
        await _edit_markup(query, exercise_keyboard(lang, exercise, done=False))


async def _record(update: Update, context: Context, exercise: Exercise, source: str) -> str:
    """Record the break and answer the button with a toast; returns the outcome."""
    query = update.callback_query
    assert query and update.effective_chat and update.effective_user
    lang = await context.language()
    group = update.effective_chat.type != "private"
    outcome = await exercises.record_done(
        context.bot_data.db,
        chat_id=update.effective_chat.id,
        user_id=update.effective_user.id,
        exercise_id=exercise.id,
        source=source,
        now=context.now(),
        # In a group the name lets the team's /stats say who moved.
        user_name=update.effective_user.first_name if group else None,
    )
    await answer(query, t(lang, f"exercises.done.{outcome}"))
    return outcome


async def _edit_markup(query: object, markup: InlineKeyboardMarkup) -> None:
    from telegram import CallbackQuery

    assert isinstance(query, CallbackQuery)
    try:
        await query.edit_message_reply_markup(markup)
    except BadRequest as exc:
        if "not modified" not in str(exc).lower():
            raise


# ------------------------------------------------------------------------------- browsing


def browse_home(catalogue: Catalogue, lang: str) -> tuple[str, InlineKeyboardMarkup]:
    present_areas = [a for a in exercises.AREAS if any(a in e.areas for e in catalogue.exercises)]
    present_kinds = [k for k in exercises.KINDS if any(e.kind == k for e in catalogue.exercises)]
    areas = [button(t(lang, f"label.area.{a}"), f"br:a:{a}:0") for a in present_areas]
    kinds = [button(t(lang, f"label.kind.{k}"), f"br:k:{k}:0") for k in present_kinds]
    rows = [areas[i : i + 2] for i in range(0, len(areas), 2)]
    rows += [kinds[i : i + 2] for i in range(0, len(kinds), 2)]
    return t(lang, "browse.home"), keyboard(*rows)


def browse_page(
    catalogue: Catalogue,
    lang: str,
    facet: str,
    value: str,
    page: int,
    place: str | None = None,
) -> tuple[str, InlineKeyboardMarkup]:
    """One page of an area or kind; with `place`, only what fits it, plus "show all"."""
    result = exercises.browse(catalogue, facet, value, page, place)
    label = t(lang, f"label.{'area' if facet == 'a' else 'kind'}.{value}")
    text = t(
        lang,
        "browse.page",
        title=label,
        count=result.total,
        page=result.page + 1,
        pages=result.pages,
    )
    suffix = ":o" if place is not None else ""
    if place is not None and result.hidden:
        note = "search.place_none" if not result.total else "search.place_note"
        text += "\n" + t(lang, note, place=place_label(lang, place), hidden=result.hidden)
    rows = [[button(e.name.get(lang)[:60], f"ex:s:{e.id}")] for e in result.items]
    nav = []
    if result.page > 0:
        nav.append(button("◀", f"br:{facet}:{value}:{result.page - 1}{suffix}"))
    if result.page < result.pages - 1:
        nav.append(button("▶", f"br:{facet}:{value}:{result.page + 1}{suffix}"))
    rows.append(nav)
    if place is not None and result.hidden:
        show_all = t(lang, "search.button_show_all", n=result.total + result.hidden)
        rows.append([button(show_all, f"br:{facet}:{value}:0")])
    rows.append([button(t(lang, "settings.button_back"), "br:h")])
    return text, keyboard(*rows)


async def exercises_command(update: Update, context: Context) -> None:
    lang = await context.language()
    text, markup = browse_home(context.bot_data.catalogue, lang)
    await reply(update, text, markup)


async def on_browse_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query
    parts = split_data(query, "br")
    lang = await context.language()
    if parts == ["h"]:
        await answer(query)
        await edit(query, *browse_home(context.bot_data.catalogue, lang))
        return
    valid = (
        parts is not None
        and len(parts) in (3, 4)
        and (
            (parts[0] == "a" and parts[1] in exercises.AREAS)
            or (parts[0] == "k" and parts[1] in exercises.KINDS)
        )
        and parts[2].isdigit()
        and len(parts[2]) <= 3
        and parts[3:] in ([], ["o"])
    )
    if not valid:
        await stale(update, context)
        return
    assert parts is not None
    place = await _place(update, context) if parts[3:] == ["o"] else None
    await answer(query)
    screen = browse_page(context.bot_data.catalogue, lang, parts[0], parts[1], int(parts[2]), place)
    await edit(query, *screen)


# ------------------------------------------------------------------------------ guided mode


@dataclass
class GuidedRun:
    """What the countdown job needs; in memory on purpose (see the module docstring)."""

    chat_id: int
    message_id: int
    exercise_id: str
    lang: str
    started: datetime
    last_text: str = ""
    start: int = 0  # the step the timeline started at ("Next" starts a new one)


def job_name(chat_id: int) -> str:
    return f"guided:{chat_id}"


#: The line under the step for each guided phase ("read" has none).
_PHASE_LINES = {
    "prepare": "guided.prepare",
    "hold": "guided.hold",
    "prepare_move": "guided.prepare_move",
    "move": "guided.move",
    "reps": "guided.reps",
}


def guided_screen(
    catalogue: Catalogue, exercise: Exercise, lang: str, frame: guided.Frame
) -> tuple[str, InlineKeyboardMarkup]:
    steps = guided_steps(exercise, lang, catalogue)
    name = exercise.name.get(lang)
    if frame.phase == "done":
        text = t(lang, "guided.finished", name=name)
        markup = keyboard(
            [
                button(t(lang, "exercises.button_done"), f"gd:d:{exercise.id}"),
                button(t(lang, "exercises.button_another"), f"ex:r:{exercise.id}"),
            ]
        )
        return text, markup
    step = steps[frame.index]
    header = t(lang, "guided.header", name=name, n=frame.index + 1, total=len(steps))
    lines = [header, "", step.text]
    if frame.phase in _PHASE_LINES:
        lines += ["", t(lang, _PHASE_LINES[frame.phase], seconds=frame.remaining or 0)]
    markup = keyboard(
        [
            button(t(lang, "guided.button_next"), f"gd:n:{exercise.id}:{frame.index + 1}"),
            button(t(lang, "guided.button_stop"), f"gd:x:{exercise.id}"),
        ]
    )
    return "\n".join(lines), markup


def _remove(job: Job[Any]) -> None:
    """Remove a job once; a second removal would raise in the scheduler."""
    if not job.removed:
        job.schedule_removal()


def cancel_guided(context: Context, chat_id: int) -> None:
    if context.jobs is None:
        return
    for job in context.jobs.get_jobs_by_name(job_name(chat_id)):
        _remove(job)


async def guided_tick(context: Context) -> None:
    """The countdown job: render the frame for the time elapsed; edit only on change."""
    assert context.job is not None
    run: GuidedRun = context.job.data  # type: ignore[assignment]
    exercise = exercises.find_exercise(context.bot_data.catalogue, run.exercise_id)
    if exercise is None:
        _remove(context.job)
        return
    steps = guided_steps(exercise, run.lang, context.bot_data.catalogue)
    elapsed = (context.now() - run.started).total_seconds()
    frame = guided.frame_at(steps, elapsed, run.start)
    if frame.phase in ("done", "reps"):  # nothing changes until "Next"
        _remove(context.job)
    text, markup = guided_screen(context.bot_data.catalogue, exercise, run.lang, frame)
    if text == run.last_text:
        return
    try:
        await context.bot.edit_message_text(
            text, chat_id=run.chat_id, message_id=run.message_id, reply_markup=markup
        )
        run.last_text = text
    except BadRequest as exc:  # the message is gone or unchanged: stop counting
        if "not modified" not in str(exc).lower():
            log.info("guided mode for chat %s stopped: %s", run.chat_id, exc)
            _remove(context.job)
    except TelegramError as exc:  # flood control, network: the next tick catches up
        log.info("guided tick for chat %s skipped: %s", run.chat_id, exc)


def _schedule(context: Context, run: GuidedRun) -> None:
    cancel_guided(context, run.chat_id)
    if context.jobs is None:
        return
    context.jobs.run_repeating(
        guided_tick,
        interval=guided.TICK_SECONDS,
        first=guided.TICK_SECONDS,
        name=job_name(run.chat_id),
        data=run,
        chat_id=run.chat_id,
    )


async def on_guided_button(update: Update, context: Context) -> None:
    query = update.callback_query
    assert query and update.effective_chat
    parts = split_data(query, "gd")
    exercise = (
        exercises.find_exercise(context.bot_data.catalogue, parts[1])
        if parts and len(parts) >= 2
        else None
    )
    if parts is None or exercise is None or not exercise.offered:
        await stale(update, context)
        return
    lang = await context.language()
    chat_id, at = update.effective_chat.id, context.now()
    steps = guided_steps(exercise, lang, context.bot_data.catalogue)
    match parts:
        case ["s", _]:
            await answer(query)
            clip = await context.bot_data.animations.clip(exercise.id)
            if clip is not None:  # the movement first, then the countdown under it
                caption = guided_caption(exercise, lang)
                await send_clip(context.bot, context.bot_data.animations, chat_id, clip, caption)
            frame = guided.frame_at(steps, 0)
            text, markup = guided_screen(context.bot_data.catalogue, exercise, lang, frame)
            message = await update.effective_chat.send_message(text, reply_markup=markup)
            _schedule(context, GuidedRun(chat_id, message.message_id, exercise.id, lang, at, text))
        case ["n", _, index] if index.isdigit() and 0 < int(index) <= len(steps):
            await answer(query)
            frame = guided.frame_at(steps, 0, int(index))
            text, markup = guided_screen(context.bot_data.catalogue, exercise, lang, frame)
            await edit(query, text, markup)
            if frame.phase in ("done", "reps"):
                cancel_guided(context, chat_id)
            elif query.message is not None:
                message_id = query.message.message_id
                run = GuidedRun(chat_id, message_id, exercise.id, lang, at, text, int(index))
                _schedule(context, run)
        case ["x", _]:
            cancel_guided(context, chat_id)
            await answer(query)
            restart = keyboard([button(t(lang, "guided.button_restart"), f"gd:s:{exercise.id}")])
            await edit(query, t(lang, "guided.stopped", name=exercise.name.get(lang)), restart)
        case ["d", _]:
            outcome = await _record(update, context, exercise, "guided")
            again = keyboard([button(t(lang, "exercises.button_another"), f"ex:r:{exercise.id}")])
            # The finish line asked for a tap on Done; once tapped it says what happened.
            line = "guided.not_counted" if outcome == "no_chat" else "guided.counted"
            await edit(query, t(lang, line, name=exercise.name.get(lang)), again)
        case _:
            await stale(update, context)


def register_handlers(app: Application[Any, Any, Any, Any, Any, Any]) -> None:
    app.add_handler(CallbackQueryHandler(on_exercise_button, pattern=r"^ex:"))
    app.add_handler(CallbackQueryHandler(on_browse_button, pattern=r"^br:"))
    app.add_handler(CallbackQueryHandler(on_guided_button, pattern=r"^gd:"))
