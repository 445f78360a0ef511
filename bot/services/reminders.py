"""Reminder messages and what their buttons do: plain functions, callable without Telegram.

Button data is compact, versioned and strictly parsed ("r1:<action>:<delivery id>"); anything
else, or data that does not belong to the message it came from, is answered politely and
changes nothing.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from babel.dates import format_datetime

from bot import metrics
from bot.content.models import Catalogue, Routine
from bot.content.render import render_routine
from bot.content.routines import pick_routine
from bot.i18n import LANGUAGES, t
from bot.outgoing import Button, Keyboard
from bot.scheduling import rules
from bot.scheduling.busy import first_free
from bot.scheduling.timemath import as_utc, zone
from bot.services.safety import SAFETY_DATA
from bot.storage import calendars, chats, completions, deliveries
from bot.storage.db import Database
from bot.storage.models import Delivery, DeliveryKind, DeliveryStatus

SNOOZE_MINUTES = 10
RECENT = 5
CALLBACK_PREFIX = "r1:"
_CALLBACK_RE = re.compile(r"r1:(d|l|a|s|v|m|m15|m30|m60):([1-9][0-9]{0,17})")
DONE, LATER, ANOTHER, SKIP, SHOW = "d", "l", "a", "s", "v"
#: "In a meeting": after the calendar's current busy block, or (without one) a choice.
MEETING = "m"
MEETING_MINUTES = {"m15": 15, "m30": 30, "m60": 60}


def callback_data(action: str, delivery_id: int) -> str:
    data = f"{CALLBACK_PREFIX}{action}:{delivery_id}"
    assert _CALLBACK_RE.fullmatch(data), data
    return data


def parse_callback(data: object) -> tuple[str, int] | None:
    """(action, delivery id) from a button's data, or None for anything we did not make."""
    if not isinstance(data, str):
        return None
    match = _CALLBACK_RE.fullmatch(data)
    return (match.group(1), int(match.group(2))) if match else None


def keyboard(
    delivery_id: int, lang: str, *, snoozable: bool = True, group: bool = False
) -> Keyboard:
    """Done / 10 minutes later / Another exercise / Skip today ("later" only once), Show me
    (the routine's animations), and the safety note one tap away.

    A group gets Done, Show me and the safety note only: the others would change the break
    for everyone because one member pressed (see bot.services.groups); Show me only sends."""

    def button(action: str, key: str) -> Button:
        return Button(t(lang, key), callback_data(action, delivery_id))

    first = [button(DONE, "reminder.button.done")]
    show = button(SHOW, "reminder.button.show")
    safety = (Button(t(lang, "privacy.button_safety"), SAFETY_DATA),)
    if group:
        return ((*first, show), safety)
    if snoozable:
        first.append(button(LATER, "reminder.button.later"))
    second = (button(ANOTHER, "reminder.button.another"), button(SKIP, "reminder.button.skip"))
    if not snoozable:
        return (tuple(first), second, (show, *safety))
    meeting = (button(MEETING, "reminder.button.meeting"),)
    return (tuple(first), meeting, second, (show, *safety))


def meeting_keyboard(delivery_id: int, lang: str) -> Keyboard:
    """No calendar says how long the meeting lasts: the user picks."""
    return (
        tuple(
            Button(
                t(lang, "reminder.button.minutes", n=minutes), callback_data(action, delivery_id)
            )
            for action, minutes in MEETING_MINUTES.items()
        ),
        (Button(t(lang, "reminder.button.done"), callback_data(DONE, delivery_id)),),
    )


def routine_for(catalogue: Catalogue, routine_id: str | None) -> Routine:
    """The delivery's routine, or the first one when the catalogue changed since the row was
    written (the message shows it, so its buttons must mean it too)."""
    try:
        return catalogue.routine(routine_id or "")
    except KeyError:
        return catalogue.routines[0]


def reminder_text(
    catalogue: Catalogue,
    routine_id: str | None,
    lang: str,
    *,
    kind: str = DeliveryKind.REMINDER,
    status: str | None = None,
) -> str:
    """The routine as Telegram HTML, with a header for a snooze and a status line after."""
    lang = lang if lang in LANGUAGES else "en"
    parts = [render_routine(routine_for(catalogue, routine_id), lang, catalogue)]
    if kind == DeliveryKind.SNOOZE:
        parts.insert(0, t(lang, "reminder.snooze_header"))
    if status:
        parts.append(status)
    return "\n\n".join(parts)


def choose_routine(
    catalogue: Catalogue, place: str, recent: Sequence[str], rng: random.Random
) -> Routine:
    """A routine for the place, not among the recent ones where the catalogue allows; any
    place's routines when the place has none."""
    try:
        return pick_routine(catalogue, place, recent, rng)
    except LookupError:
        fresh = [r for r in catalogue.routines if r.id not in recent[:RECENT]]
        return rng.choice(sorted(fresh or catalogue.routines, key=lambda r: r.id))


@dataclass(frozen=True)
class PressResult:
    """What the handler does: answer the press, and maybe edit the message."""

    answer: str
    text: str | None = None
    keyboard: Keyboard | None = None
    edit: bool = False
    # A group's Done was recorded: re-render "who moved" on this delivery's message (coalesced).
    refresh_delivery: int | None = None
    # "Show me": send the animations of this routine (the message itself stays as it is).
    show_routine: str | None = None


def _stale(lang: str) -> PressResult:
    return PressResult(answer=t(lang, "reminder.answer.stale"))


def _belongs(delivery: Delivery | None, chat_id: int, message_id: int | None) -> bool:
    """The data points at a reminder shown in this very message (not forged, not foreign)."""
    if delivery is None or delivery.chat_id != chat_id:
        return False
    if delivery.message_id is None:  # pressed before the send was recorded
        return delivery.status == DeliveryStatus.PENDING
    return delivery.message_id == message_id


async def press(
    db: Database,
    catalogue: Catalogue,
    data: object,
    *,
    chat_id: int,
    message_id: int | None,
    user_id: int,
    private: bool,
    now: datetime,
    user_name: str | None = None,
    fallback_lang: str = "en",
    rng: random.Random | None = None,
) -> PressResult:
    """Apply a reminder button press; never raises for bad or stale data."""
    parsed = parse_callback(data)
    async with db.session() as session:
        if parsed is None:
            chat = await chats.get(session, chat_id)
            return _stale(chat.language if chat else fallback_lang)
        action, delivery_id = parsed
        delivery = await deliveries.get_for_update(session, delivery_id)
        chat = await chats.get_for_update(session, chat_id)
        if chat is None or not _belongs(delivery, chat_id, message_id):
            return _stale(chat.language if chat else fallback_lang)
        assert delivery is not None
        lang = chat.language

        def text(status: str | None) -> str:
            return reminder_text(
                catalogue, delivery.routine_id, lang, kind=delivery.kind, status=status
            )

        if action == SHOW:  # only sends the animations: fine on an older reminder too
            return PressResult(
                answer=t(lang, "reminder.answer.show"),
                show_routine=routine_for(catalogue, delivery.routine_id).id,
            )

        if action != DONE and await deliveries.superseded(session, delivery):
            # A newer reminder is out: these buttons would act on a break that is over.
            return PressResult(
                answer=t(lang, "reminder.answer.superseded"),
                text=text(t(lang, "reminder.status.superseded")),
                edit=True,
            )

        if action == DONE:
            recorded = await completions.record(
                session,
                chat_id=chat_id,
                user_id=user_id,
                now=now,
                source="reminder",
                delivery_id=delivery.id,
                user_name=None if private else user_name,
            )
            if not recorded:
                return PressResult(answer=t(lang, "reminder.answer.already_done"))
            if not private:  # the others may still press Done: show who moved, keep the button
                return PressResult(
                    answer=t(lang, "reminder.answer.done"), refresh_delivery=delivery.id
                )
            return PressResult(
                answer=t(lang, "reminder.answer.done"),
                text=text(t(lang, "reminder.status.done")),
                edit=True,
            )

        if action == LATER:
            due = now + timedelta(minutes=SNOOZE_MINUTES)
            snooze = None
            if delivery.kind == DeliveryKind.REMINDER:
                snooze = await deliveries.add_snooze(session, delivery, due)
            if snooze is None:
                return PressResult(answer=t(lang, "reminder.answer.already_snoozed"))
            local = due.astimezone(zone(chat.timezone)).strftime("%H:%M")
            return PressResult(
                answer=t(lang, "reminder.answer.snoozed"),
                text=text(t(lang, "reminder.status.snoozed", time=local)),
                edit=True,
            )

        if action == MEETING or action in MEETING_MINUTES:
            if not private:  # a group's reminder has no such button: one member's meeting
                return _stale(lang)  # must not move the break for everyone
            if delivery.kind != DeliveryKind.REMINDER:
                return PressResult(answer=t(lang, "reminder.answer.already_snoozed"))
            if action == MEETING:
                after = await _after_meeting(session, chat_id, now)
                if after is None:  # no calendar, or it knows of no meeting now: ask
                    return PressResult(
                        answer=t(lang, "reminder.answer.meeting_ask"),
                        text=text(t(lang, "reminder.status.meeting_ask")),
                        keyboard=meeting_keyboard(delivery.id, lang),
                        edit=True,
                    )
                due, key = after, "reminder.status.after_meeting"
            else:
                due = now + timedelta(minutes=MEETING_MINUTES[action])
                key = "reminder.status.snoozed"
            if await deliveries.add_snooze(session, delivery, due) is None:
                return PressResult(answer=t(lang, "reminder.answer.already_snoozed"))
            local = due.astimezone(zone(chat.timezone)).strftime("%H:%M")
            return PressResult(
                answer=t(lang, "reminder.answer.meeting", time=local),
                text=text(t(lang, key, time=local)),
                edit=True,
            )

        if action == ANOTHER:
            history = await deliveries.recent_routines(
                session, [chat_id], now - timedelta(days=60), RECENT
            )
            recent = history.get(chat_id, [])
            current = delivery.routine_id or ""
            rng = rng or random.Random()
            routine = choose_routine(catalogue, chat.place, [current, *recent], rng)
            if current:
                await deliveries.remember_replaced(session, chat_id, current, delivery.slot_at)
            delivery.routine_id = routine.id
            return PressResult(
                answer=t(lang, "reminder.answer.another"),
                text=text(None),
                keyboard=keyboard(
                    delivery.id,
                    lang,
                    snoozable=delivery.kind == DeliveryKind.REMINDER,
                    group=not private,
                ),
                edit=True,
            )

        # SKIP: nothing more today, in the chat's own calendar.
        chat.next_due_at = rules.after_today(chat, now)
        await deliveries.cancel_scheduled(session, chat_id)
        if chat.next_due_at is None:
            status = t(lang, "reminder.status.skipped_none")
        else:
            local_next = chat.next_due_at.astimezone(zone(chat.timezone))
            when = format_datetime(local_next, "EEEE d MMMM HH:mm", locale=lang)
            status = t(lang, "reminder.status.skipped", when=when)
        return PressResult(answer=t(lang, "reminder.answer.skipped"), text=text(status), edit=True)


async def _after_meeting(session: Any, chat_id: int, now: datetime) -> datetime | None:
    """Two minutes after the calendar's busy block around `now`; None without a calendar or
    when the calendar shows no meeting now."""
    if await calendars.get(session, chat_id) is None:
        return None
    busy = await calendars.busy_between(session, chat_id, now, now + timedelta(days=1))
    free = first_free(now, busy)
    return free if free > now else None


@dataclass
class Replanned:
    """Moved reminders checked again: the rows still to be sent as planned, and how many
    were moved once more or skipped."""

    kept: list[Delivery] = field(default_factory=list)
    moved: int = 0
    skipped: int = 0


def _moved(row: Delivery) -> bool:
    return row.kind == DeliveryKind.REMINDER and as_utc(row.due_at) > as_utc(row.slot_at)


async def replan_moved(
    session: Any,
    rows: Sequence[Delivery],
    now: datetime,
    window: timedelta,
    *,
    status_was: str,
) -> Replanned:
    """Check reminders that were moved past a meeting against the busy time stored now, by
    rules.replace_moved: the meeting may have run longer, or another may cover the moved
    time. A row the rule moves again waits (scheduled, unclaimed) for its new time; one it
    skips is recorded as busy and counted. Rows that are not moved reminders (snoozes) and
    moved ones whose time is still free are returned as kept. Called when the calendar is
    read (rows `scheduled`) and when moved rows are claimed to be sent (`pending`)."""
    report = Replanned()
    moved = [row for row in rows if _moved(row)]
    report.kept = [row for row in rows if not _moved(row)]
    if not moved:
        return report
    latest = max(max(as_utc(row.due_at), now) for row in moved)
    busy = await calendars.busy_for_chats(
        session,
        sorted({row.chat_id for row in moved}),
        min(as_utc(row.slot_at) for row in moved),
        latest + window + timedelta(hours=1),
    )
    for row in moved:
        chat = await chats.get(session, row.chat_id)
        planned = as_utc(row.due_at)
        plan = (
            rules.replace_moved(
                chat,
                as_utc(row.slot_at),
                planned,
                busy=busy.get(row.chat_id, ()),
                now=now,
                window=window,
            )
            if chat is not None
            else rules.SlotPlan(rules.Placement.MOVED, planned)
        )
        if plan.due_at == planned:
            report.kept.append(row)
        elif await deliveries.replan_moved(
            session, row.id, status_was=status_was, due_at=plan.due_at
        ):
            if plan.due_at is None:
                report.skipped += 1
                metrics.REMINDERS_RESCHEDULED.labels(rules.Placement.BUSY.value).inc()
            else:
                report.moved += 1
    report.kept.sort(key=lambda row: as_utc(row.due_at))
    return report


async def move_chat(db: Database, old_id: int, new_id: int) -> bool:
    """A group became a supergroup: its subscription and history follow it to the new id."""
    async with db.session() as session:
        return await chats.migrate(session, old_id, new_id)
