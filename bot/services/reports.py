"""Progress for one person: loading it, putting it into words and a chart, and the opt-in
switches for the weekly summary and the evening nudge. Plain functions, callable without
Telegram (the /settings buttons call `set_weekly_summary` and `set_evening_nudge`)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING

from babel.dates import format_date

from bot import telegram_html
from bot.i18n import Safe, t, tn
from bot.scheduling import rules
from bot.scheduling.rules import Schedule
from bot.services.progress import Progress, Status, Verdict, Week, build_progress, verdict
from bot.services.subscribers import Subscriber
from bot.storage import chats
from bot.storage import progress as store
from bot.storage.db import Database
from bot.storage.models import Chat, DeliveryKind

if TYPE_CHECKING:
    from bot.services.charts import ChartLabels

KINDS = (DeliveryKind.SUMMARY, DeliveryKind.NUDGE)


@dataclass(frozen=True)
class Report:
    chat: Subscriber
    progress: Progress


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
        completions, schedule=Schedule.of(chat), now=now, started=started, reminders=reminders
    )
    return Report(Subscriber.of(chat), progress)


# --- opt-in switches -------------------------------------------------------------------------


def digest_enabled(chat: Chat | Subscriber, kind: str) -> bool:
    """The chat asked for this summary or nudge (private chats only)."""
    on = chat.weekly_summary if kind == DeliveryKind.SUMMARY else chat.evening_nudge
    return on and chat.type == "private"


def digest_dues(chat: Chat, now: datetime) -> dict[str, datetime | None]:
    """When the chat's next summary and nudge are due (None: not wanted). Stored after every
    change of times, days, timezone, pause or switch; the job also corrects itself when due."""
    return {
        kind: rules.next_digest(kind, chat, now) if digest_enabled(chat, kind) else None
        for kind in KINDS
    }


async def _switch(
    db: Database, chat_id: int, kind: str, on: bool, now: datetime
) -> Subscriber | None:
    async with db.session() as session:
        chat = await chats.get_for_update(session, chat_id)
        if chat is None:
            return None
        if kind == DeliveryKind.SUMMARY:
            chat.weekly_summary = on
        else:
            chat.evening_nudge = on
        await store.set_digests_due(session, chat.id, digest_dues(chat, now))
        return Subscriber.of(chat)


async def set_weekly_summary(
    db: Database, chat_id: int, on: bool, *, now: datetime
) -> Subscriber | None:
    """Turn the weekly summary on or off; None when the chat is not registered."""
    return await _switch(db, chat_id, DeliveryKind.SUMMARY, on, now)


async def set_evening_nudge(
    db: Database, chat_id: int, on: bool, *, now: datetime
) -> Subscriber | None:
    """Turn the evening nudge on or off; None when the chat is not registered."""
    return await _switch(db, chat_id, DeliveryKind.NUDGE, on, now)


def nudge_clock(chat: Subscriber) -> str | None:
    """ "16:43": when the nudge comes, in the chat's own time, so /nudge can say so."""
    at = rules.nudge_time(Schedule.of(chat))
    return at.strftime("%H:%M") if at is not None else None


# --- words -----------------------------------------------------------------------------------


def _short_date(day: date, lang: str) -> str:
    return format_date(day, "d MMM", locale=lang)


def week_label(week: Week, lang: str) -> str:
    end = week.days[-1].day
    if week.start.month == end.month:
        return f"{week.start.day}–{_short_date(end, lang)}"
    return f"{_short_date(week.start, lang)} – {_short_date(end, lang)}"


def _week_line(lang: str, label: str, week: Week) -> str:
    line = t(
        lang,
        "stats.week_line",
        label=label,
        days=Safe(tn(lang, "stats.days_met", week.counted, met=week.met)),
        breaks=Safe(tn(lang, "stats.breaks", week.breaks)),
    )
    # A forgiven day and a day that broke the streak are named: the chart shows which.
    if week.repaired:
        line += ", " + tn(lang, "stats.repaired", week.repaired)
    if week.missed:
        line += ", " + tn(lang, "stats.missed", week.missed)
    return line


def stats_text(lang: str, progress: Progress, name: str | None = None) -> str:
    """The /stats message (also the chart's caption: it stays far below 1024 characters)."""
    if progress.empty:
        return t(lang, "stats.empty", goal=progress.goal)
    title = t(lang, "stats.title_named", name=name) if name else t(lang, "stats.title")
    today = next((d for d in progress.this_week.days if d.day == progress.today), None)
    if today is not None and today.status is Status.OFF and not progress.today_count:
        today_line = t(lang, "stats.today_free")
    else:
        today_line = t(lang, "stats.today", done=progress.today_count, goal=progress.goal)
    # Weeks wholly before sign-up say nothing true ("0 of 0 days"): left out.
    weeks = [w for w in progress.weeks if any(d.status is not Status.NONE for d in w.days)]
    lines = [
        title,
        "",
        today_line,
        tn(lang, "stats.current_streak", progress.current_streak),
        tn(lang, "stats.best_streak", progress.best_streak),
        _week_line(lang, t(lang, "stats.this_week"), progress.this_week),
        "",
        t(lang, "stats.weeks_header"),
        *(_week_line(lang, week_label(w, lang), w) for w in weeks),
        "",
        t(lang, "stats.rule", goal=progress.goal),
    ]
    return "\n".join(lines)


def fits_caption(text: str) -> bool:
    return len(telegram_html.parse(text).text) <= telegram_html.MAX_CAPTION


def chart_labels(lang: str, progress: Progress) -> ChartLabels:
    from bot.services.charts import ChartLabels

    return ChartLabels(
        title=t(lang, "chart.title"),
        goal=t(lang, "chart.goal", goal=progress.goal),
        met=t(lang, "chart.met"),
        below=t(lang, "chart.below"),
        off=t(lang, "chart.off"),
        repaired=t(lang, "chart.repaired"),
        day_names=tuple(t(lang, "chart.days").split()),
        week_titles=tuple(week_label(w, lang) for w in progress.weeks),
    )


def _draw(lang: str, progress: Progress) -> bytes:
    # The chart module (and with it matplotlib and numpy, ~55 MB) is imported on the first
    # chart, not at start-up, and here, in the worker thread: its ~0.5 s of import work
    # must not stall the event loop either.
    from bot.services.charts import render_chart

    return render_chart(progress, chart_labels(lang, progress))


async def chart_png(lang: str, progress: Progress) -> bytes:
    """Render in a worker thread: matplotlib would block the event loop for ~0.3 s a chart
    (and the first one imports it). Most processes draw few charts, and a small server
    should not carry matplotlib idle."""
    return await asyncio.to_thread(_draw, lang, progress)


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
