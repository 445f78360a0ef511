"""Progress for one person: loading it, putting it into words and a chart, and the opt-in
switches for the weekly summary and the evening nudge. Plain functions, callable without
Telegram (the /settings buttons call `set_weekly_summary` and `set_evening_nudge`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from babel.dates import format_date
from sqlalchemy.ext.asyncio import AsyncSession

from bot import telegram_html
from bot.i18n import Safe, t, tn
from bot.services.charts import ChartLabels, render_chart
from bot.services.progress import (
    Progress,
    Schedule,
    Verdict,
    Week,
    build_progress,
    next_occurrence,
    nudge_at,
    verdict,
)
from bot.storage import chats
from bot.storage import progress as store
from bot.storage.db import Database
from bot.storage.models import Chat

KINDS = ("summary", "nudge")


@dataclass(frozen=True)
class Report:
    chat: Chat
    progress: Progress


def schedule_of(chat: Chat) -> Schedule:
    return Schedule(times=tuple(chat.times), days=chat.days, tz_name=chat.timezone)


async def load_progress(db: Database, chat_id: int, user_id: int, now: datetime) -> Report | None:
    """One person's progress in one chat (in a group: theirs, not the group's); None when the
    chat is not registered."""
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is None:
            return None
        completions = await store.completion_instants(session, chat_id, user_id)
        reminders = await store.reminder_instants(session, chat_id)
    started = store.as_utc(chat.created_at)
    progress = build_progress(
        completions, schedule=schedule_of(chat), now=now, started=started, reminders=reminders
    )
    return Report(chat, progress)


# --- opt-in switches -------------------------------------------------------------------------


def _enabled(chat: Chat, kind: str) -> bool:
    return chat.weekly_summary if kind == "summary" else chat.evening_nudge


async def refresh_digests(session: AsyncSession, chat: Chat, now: datetime) -> None:
    """Put the chat's next summary and nudge in the digest schedule, or take them out. Call it
    after a change of times, days, timezone or pause; the job also corrects itself when due."""
    for kind in KINDS:
        due = None
        if _enabled(chat, kind) and chat.type == "private":
            paused = chat.paused_until if chat.paused_until and chat.paused_until > now else None
            due = next_occurrence(kind, schedule_of(chat), after=now, paused_until=paused)
            # No slot now (say, a last reminder after 21:00): look again tomorrow, so a later
            # change of times is picked up even if nobody calls this function.
            due = due or now + timedelta(days=1)
        await store.set_digest_due(session, chat.id, kind, due)


async def _switch(db: Database, chat_id: int, kind: str, on: bool, now: datetime) -> Chat | None:
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        if chat is None:
            return None
        if kind == "summary":
            chat.weekly_summary = on
        else:
            chat.evening_nudge = on
        await refresh_digests(session, chat, now)
        return chat


async def set_weekly_summary(db: Database, chat_id: int, on: bool, *, now: datetime) -> Chat | None:
    """Turn the weekly summary on or off; None when the chat is not registered."""
    return await _switch(db, chat_id, "summary", on, now)


async def set_evening_nudge(db: Database, chat_id: int, on: bool, *, now: datetime) -> Chat | None:
    """Turn the evening nudge on or off; None when the chat is not registered."""
    return await _switch(db, chat_id, "nudge", on, now)


def nudge_possible(chat: Chat) -> bool:
    """False when the last reminder is at or after 21:00, so no nudge can ever come."""
    schedule = schedule_of(chat)
    return any(nudge_at(date(2024, 1, day), schedule) for day in range(1, 8))


# --- words -----------------------------------------------------------------------------------


def _short_date(day: date, lang: str) -> str:
    return format_date(day, "d MMM", locale=lang)


def week_label(week: Week, lang: str) -> str:
    end = week.days[-1].day
    if week.start.month == end.month:
        return f"{week.start.day}–{_short_date(end, lang)}"
    return f"{_short_date(week.start, lang)} – {_short_date(end, lang)}"


def _week_line(lang: str, label: str, week: Week) -> str:
    return t(
        lang,
        "stats.week_line",
        label=label,
        days=Safe(tn(lang, "stats.days_met", week.counted, met=week.met)),
        breaks=Safe(tn(lang, "stats.breaks", week.breaks)),
    )


def stats_text(lang: str, progress: Progress, name: str | None = None) -> str:
    """The /stats message (also the chart's caption: it stays far below 1024 characters)."""
    if progress.empty:
        return t(lang, "stats.empty", goal=progress.goal)
    title = t(lang, "stats.title_named", name=name) if name else t(lang, "stats.title")
    lines = [
        title,
        "",
        t(lang, "stats.today", done=progress.today_count, goal=progress.goal),
        tn(lang, "stats.current_streak", progress.current_streak),
        tn(lang, "stats.best_streak", progress.best_streak),
        _week_line(lang, t(lang, "stats.this_week"), progress.this_week),
        "",
        t(lang, "stats.weeks_header"),
        *(_week_line(lang, week_label(w, lang), w) for w in progress.weeks),
        "",
        t(lang, "stats.rule", goal=progress.goal),
    ]
    return "\n".join(lines)


def fits_caption(text: str) -> bool:
    return len(telegram_html.parse(text).text) <= telegram_html.MAX_CAPTION


def chart_labels(lang: str, progress: Progress) -> ChartLabels:
    return ChartLabels(
        title=t(lang, "chart.title"),
        goal=t(lang, "chart.goal", goal=progress.goal),
        met=t(lang, "chart.met"),
        below=t(lang, "chart.below"),
        off=t(lang, "chart.off"),
        day_names=tuple(t(lang, "chart.days").split()),
        week_titles=tuple(week_label(w, lang) for w in progress.weeks),
    )


async def chart_png(lang: str, progress: Progress) -> bytes:
    """Render in a worker thread: matplotlib would block the event loop for ~0.3 s."""
    return await asyncio.to_thread(render_chart, progress, chart_labels(lang, progress))


def summary_caption(lang: str, progress: Progress) -> str:
    """Title plus one sentence that says exactly what the week's numbers say."""
    week = progress.this_week
    kind = verdict(week)
    if kind is Verdict.BREAKS:
        sentence = tn(lang, "summary.breaks", week.breaks, goal=progress.goal)
    else:
        sentence = t(lang, f"summary.{kind.value}", met=week.met, counted=week.counted)
    return t(lang, "summary.title") + "\n" + sentence


def nudge_text(lang: str, done: int, goal: int) -> str:
    if done == 0:
        return t(lang, "nudge.none")
    return t(lang, "nudge.some", done=done, goal=goal)
