"""The weekly summary and the evening nudge: a periodic job sends what is due, exactly once.

Straight line: due rows from the digest schedule (indexed on due_at, so the cost follows the
work due, not the number of subscribers) -> decide with pure functions of `now` -> claim a
delivery row of kind "summary" or "nudge" (unique per chat, slot and kind) and commit ->
send -> record the outcome -> the row's next due moment. A restart between claim and send
loses that one message rather than sending it twice; a send Telegram refused before delivery
(429, connection error) is released and retried on the next tick while its window is open.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.i18n import t
from bot.outgoing import Button, Outgoing, Result, Sender, keyboard
from bot.scheduling import rules
from bot.scheduling.rules import Schedule, due_on, monday_of, send_window_open, summary_at
from bot.scheduling.timemath import local_date, local_day_bounds
from bot.services.progress import WEEKS_SHOWN, Progress, build_progress
from bot.services.reports import chart_png, digest_enabled, nudge_text, summary_caption
from bot.storage import chats, deliveries
from bot.storage import progress as store
from bot.storage.db import Database
from bot.storage.models import DeliveryKind, DeliveryStatus

log = logging.getLogger(__name__)

BATCH = 200
MAX_BATCHES = 20  # per tick; what is left waits for the next tick
RETRY = timedelta(minutes=1)
AFTER_ERROR = timedelta(minutes=15)


@dataclass(frozen=True)
class Planned:
    """A claimed message, ready to send after the claim is committed."""

    delivery_id: int
    chat_id: int
    kind: DeliveryKind
    lang: str
    progress: Progress | None  # for the summary
    done: int  # breaks done today
    goal: int


async def run_due(db: Database, sender: Sender, now: datetime) -> int:
    """Send every summary and nudge due at `now`; returns how many were sent."""
    sent = 0
    for _ in range(MAX_BATCHES):
        async with db.session() as session:
            due = [(row.chat_id, row.kind) for row in await store.due_digests(session, now, BATCH)]
        for chat_id, kind in due:
            try:
                sent += await _handle(db, sender, chat_id, DeliveryKind(kind), now)
            except Exception:  # one chat's trouble must not stop everyone else's
                log.exception("digest %s for chat %s failed", kind, chat_id)
                async with db.session() as session:
                    await store.set_digest_due(session, chat_id, kind, now + AFTER_ERROR)
        if len(due) < BATCH:
            break
    return sent


async def _plan(db: Database, chat_id: int, kind: DeliveryKind, now: datetime) -> Planned | None:
    """Decide, claim and reschedule in one transaction; the claim is committed on return."""
    async with db.session() as session:
        chat = await chats.get(session, chat_id)
        if chat is None:
            return None
        if not digest_enabled(chat, kind):
            await store.unschedule(session, chat_id, kind)
            return None
        schedule = Schedule.of(chat)
        await store.set_digest_due(session, chat_id, kind, rules.next_digest(kind, chat, now))
        today = local_date(now, chat.timezone)
        due = due_on(kind, today, schedule)
        if (
            due is None
            or not rules.wants_reminders(chat)
            or (rules.is_paused(chat, now) and chat.paused_until and due < chat.paused_until)
            or not send_window_open(kind, due, now, chat.timezone)
        ):
            return None
        if kind == DeliveryKind.NUDGE and chat.weekly_summary and summary_at(today, schedule):
            return None  # the weekly summary goes out at the same moment and says it all
        progress: Progress | None = None
        goal = schedule.goal
        if kind == DeliveryKind.NUDGE:
            start, end = local_day_bounds(today, chat.timezone)
            done = await store.count_completions(session, chat_id, chat_id, start, end)
            if done >= goal:
                return None
        else:
            # Only the weeks on the chart are needed, not the whole history.
            since, _ = local_day_bounds(
                monday_of(today) - timedelta(weeks=WEEKS_SHOWN - 1), chat.timezone
            )
            progress = build_progress(
                await store.completion_instants(session, chat_id, chat_id, since),
                schedule=schedule,
                now=now,
                started=store.as_utc(chat.created_at),
                reminders=await store.reminder_instants(session, chat_id, since),
            )
            done = progress.today_count
            if not progress.this_week.counted:
                return None  # a week spent paused: nothing to sum up
        delivery_id = await deliveries.claim_digest(session, chat_id, kind, due)
        if delivery_id is None:
            return None
        return Planned(delivery_id, chat_id, kind, chat.language, progress, done, goal)


async def _handle(
    db: Database, sender: Sender, chat_id: int, kind: DeliveryKind, now: datetime
) -> bool:
    planned = await _plan(db, chat_id, kind, now)
    if planned is None:
        return False
    if planned.progress is not None:
        message = Outgoing(
            chat_id,
            summary_caption(planned.lang, planned.progress),
            photo=await chart_png(planned.lang, planned.progress),
        )
    else:
        # A button, so the minute is one tap away (bot.handlers.talk answers "tk:ex").
        exercise = Button(t(planned.lang, "talk.button_exercise"), "tk:ex")
        text = nudge_text(planned.lang, planned.done, planned.goal)
        message = Outgoing(chat_id, text, keyboard=keyboard([exercise]))
    outcome = await sender.deliver(message)
    async with db.session() as session:
        if outcome.result is Result.RETRY:  # refused before delivery: try again shortly
            await deliveries.release(session, planned.delivery_id)
            await store.set_digest_due(session, chat_id, kind, now + RETRY)
            return False
        status = {
            Result.SENT: DeliveryStatus.SENT,
            Result.BLOCKED: DeliveryStatus.BLOCKED,
        }.get(outcome.result, DeliveryStatus.FAILED)
        await deliveries.finish(
            session,
            planned.delivery_id,
            status=status,
            now=now,
            message_id=outcome.message_id,
            error=outcome.error,
        )
    return outcome.sent
