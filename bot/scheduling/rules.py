"""The schedule rules: when a chat's next reminder, summary or nudge is due, whether it is
paused, what skipping today and /start do. Pure functions of a chat's preferences and `now`;
every caller (preferences, onboarding, reminder buttons, the dispatcher, the digest job, the
settings screen) asks here, so the bot never has two answers to one question.

Wall-clock times become UTC instants in bot.scheduling.timemath (DST rules live there).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Protocol

from bot.scheduling import busy as busy_rule
from bot.scheduling.timemath import (
    as_utc,
    is_active_day,
    local_date,
    local_day_bounds,
    local_instant,
    next_due,
    parse_hhmm,
    zone,
)

MICROSECOND = timedelta(microseconds=1)
# The nudge comes an hour after the last reminder (time to do that one), never after 21:00.
NUDGE_DELAY = timedelta(hours=1)
NUDGE_LATEST = time(21, 0)
# The weekly summary comes an hour after the last reminder of the last active day.
SUMMARY_DELAY = timedelta(hours=1)
SUMMARY_LATEST = time(23, 30)
# With no nudge or summary slot at all (say, a last reminder after 21:00), look again after a
# day, so a later change of times is picked up even if nobody reschedules the row.
DIGEST_RETRY = timedelta(days=1)


class Subscription(Protocol):
    """What the rules read of a chat (a `Chat` row or any plain object with these fields)."""

    @property
    def times(self) -> Sequence[str]: ...
    @property
    def days(self) -> int: ...
    @property
    def timezone(self) -> str: ...
    @property
    def paused_until(self) -> datetime | None: ...
    @property
    def active(self) -> bool: ...
    @property
    def blocked(self) -> bool: ...


# --- reminders -------------------------------------------------------------------------------


def is_paused(chat: Subscription, now: datetime) -> bool:
    return chat.paused_until is not None and as_utc(chat.paused_until) > now


def wants_reminders(chat: Subscription) -> bool:
    """Subscribed (not stopped) and deliverable (not blocked)."""
    return chat.active and not chat.blocked


def still_wanted(chat: Subscription, now: datetime) -> bool:
    """A reminder written earlier (a snooze, one moved past a meeting, one a stopped worker
    left pending) goes out only if the chat still wants reminders now: /stop and /pause
    apply to it too."""
    return wants_reminders(chat) and not is_paused(chat, now)


def next_reminder(chat: Subscription, after: datetime) -> datetime | None:
    """The chat's first slot strictly after `after` and not inside a pause; None when it is
    stopped, blocked, or has no slot at all."""
    if not wants_reminders(chat):
        return None
    return next_due(
        times=chat.times,
        days=chat.days,
        tz_name=chat.timezone,
        after=after,
        paused_until=as_utc(chat.paused_until) if chat.paused_until else None,
    )


def first_reminder(chat: Subscription, now: datetime) -> datetime | None:
    """The first slot after `now` of a chat that subscribes now: what onboarding's last step
    promises before the chat is active (next_reminder says none until then)."""
    return next_due(
        times=chat.times, days=chat.days, tz_name=chat.timezone, after=now, paused_until=None
    )


def upcoming(chat: Subscription, now: datetime, count: int = 3) -> list[datetime]:
    """The chat's next `count` reminder moments after `now` (fewer when there are none)."""
    found: list[datetime] = []
    after = now
    while len(found) < count and (slot := next_reminder(chat, after)) is not None:
        found.append(slot)
        after = slot
    return found


@dataclass(frozen=True)
class Coming:
    """A reminder still to come: a moment of the schedule, or one `moved` past a meeting (its
    slot has passed; it waits for the meeting to end)."""

    at: datetime
    moved: bool = False


def coming(
    chat: Subscription,
    next_due: datetime | None,
    now: datetime,
    moved: Sequence[datetime] = (),
    count: int = 3,
) -> list[Coming]:
    """The chat's next `count` reminders in time order: its next due moment (stored: a
    skipped day or a pause already moved it), the schedule's moments after it, and the
    reminders moved past a meeting that will still go out (`still_wanted` at their time)."""
    found = []
    if next_due is not None:
        found = [Coming(next_due)] + [Coming(at) for at in upcoming(chat, next_due, count - 1)]
    found += [Coming(at, moved=True) for at in moved if at > now and still_wanted(chat, at)]
    return sorted(found, key=lambda item: item.at)[:count]


def after_today(chat: Subscription, now: datetime) -> datetime | None:
    """The next reminder once today (the chat's local day) is skipped."""
    _, day_end = local_day_bounds(local_date(now, chat.timezone), chat.timezone)
    return next_reminder(chat, day_end - MICROSECOND)


#: Why a slot was not sent: missed while the bot was down (older than the grace window),
#: too late under load (older than MAX_LATE_MINUTES), or pointless because the chat's next
#: slot is nearer than this one's due moment (or already due).
SKIP_DOWN, SKIP_LATE, SKIP_NEXT = "down", "late", "next"


@dataclass(frozen=True)
class Plan:
    """What to do with a due chat: the slot to send now (if any) and the next due moment."""

    slot: datetime | None
    next_due: datetime | None
    skipped: int = 0
    causes: tuple[str, ...] = ()  # one per skipped slot


def plan_due(
    chat: Subscription,
    stored_due: datetime | None,
    now: datetime,
    grace: timedelta,
    *,
    max_late: timedelta | None = None,
    up_since: datetime | None = None,
) -> Plan:
    """For a chat whose stored next due moment has come: which slot to send now, and the next.

    A slot missed while the bot was down (due before `up_since`) is sent within the grace
    window and skipped beyond it: a restart after hours must not flood anyone. A slot that
    fell due while the bot ran, and is late because Telegram's send limit holds the queue
    back, is still sent up to `max_late`, unless the chat's next slot is nearer than its own
    (then it is pointless); so an overload never drops a reminder silently, and every skip
    has a cause. Without `up_since`, every slot gets the grace window."""
    if stored_due is None or not wants_reminders(chat) or not chat.times:
        return Plan(None, None)
    stored = as_utc(stored_due)
    slot: datetime | None = stored
    if chat.paused_until is not None and stored < as_utc(chat.paused_until):
        slot = next_reminder(chat, stored)
    causes: list[str] = []

    def under_load(at: datetime) -> bool:
        return max_late is not None and up_since is not None and at >= up_since

    cutoff = now - grace
    if slot is not None and slot < cutoff and not under_load(slot):
        causes.append(SKIP_DOWN)
        slot = next_reminder(chat, cutoff - MICROSECOND)
    while slot is not None and slot <= now:
        following = next_reminder(chat, slot)
        if following is not None and following <= now:
            causes.append(SKIP_NEXT)
            slot = following
            continue
        if under_load(slot):
            late = now - slot
            assert max_late is not None
            if late > max_late:
                return Plan(None, following, len(causes) + 1, (*causes, SKIP_LATE))
            if following is not None and following - now < late:
                return Plan(None, following, len(causes) + 1, (*causes, SKIP_NEXT))
        return Plan(slot, following, len(causes), tuple(causes))
    return Plan(None, slot, len(causes), tuple(causes))


#: The most a crowded minute may start early (EARLY_START_MAX_SECONDS is capped here): more
#: than a minute and a crowded minute could go out before the previous minute's reminders,
#: breaking "oldest due first", and a reminder that early is no longer at the chosen time.
EARLY_START_LIMIT_S = 60.0


def early_start(demand: float, rate: float, max_early: float) -> float:
    """Seconds before its due minute that a minute's reminders start going out (issue 20).

    A minute whose `demand` sends cannot all leave within it at `rate` a second starts early
    by half its sending time, so its sends are centred on the minute instead of all trailing
    it, by at most `max_early`. A minute that fits is sent on time, never early. One rule for
    the dispatcher (which claims such minutes early) and the capacity model (which predicts it).
    """
    if rate <= 0 or max_early <= 0 or demand <= rate * 60:
        return 0.0
    return min(float(max_early), demand / (2 * rate))


# A break done this long before a slot (Done, a guided finish) replaces that slot's reminder.
DONE_BEFORE = timedelta(minutes=45)


class Placement(StrEnum):
    """What becomes of a reminder slot that has come (issue 19)."""

    SEND = "send"  # at the slot
    MOVED = "moved"  # after the meeting it falls in
    BUSY = "busy"  # in a meeting it cannot move past: skipped
    DONE = "done"  # a break was done shortly before: replaced


@dataclass(frozen=True)
class SlotPlan:
    placement: Placement
    due_at: datetime | None  # when to send; None when nothing is sent


def place_reminder(
    chat: Subscription,
    slot: datetime,
    *,
    busy: Sequence[busy_rule.Interval] = (),
    last_done: datetime | None = None,
    window: timedelta = busy_rule.WINDOW,
) -> SlotPlan:
    """Where the reminder of `slot` goes, from the chat's busy intervals and its latest break
    done: a pure rule, so a restart decides exactly as before. The slot keeps its identity
    (the delivery row is keyed by it); only when it is sent changes."""
    if last_done is not None and last_done >= slot - DONE_BEFORE:
        return SlotPlan(Placement.DONE, None)
    if not busy:
        return SlotPlan(Placement.SEND, slot)
    placed = busy_rule.place_slot(
        slot,
        busy,
        next_slot=next_reminder(chat, slot),
        day_end=busy_rule.day_end(slot, chat.timezone),
        window=window,
    )
    if placed is None:
        return SlotPlan(Placement.BUSY, None)
    return SlotPlan(Placement.SEND if placed == slot else Placement.MOVED, placed)


def replace_moved(
    chat: Subscription,
    slot: datetime,
    planned: datetime,
    *,
    busy: Sequence[busy_rule.Interval],
    now: datetime,
    window: timedelta = busy_rule.WINDOW,
) -> SlotPlan:
    """A reminder already moved past a meeting (to `planned`), checked again against the
    busy time as it is now: MOVED with `planned` when that is still free, MOVED with a later
    instant when a meeting now covers it, BUSY when it can no longer move. Asked when the
    calendar is read again and once more when the moved reminder comes due."""
    placed = busy_rule.replace_slot(
        slot,
        planned,
        busy,
        now=now,
        next_slot=next_reminder(chat, slot),
        day_end=busy_rule.day_end(slot, chat.timezone),
        window=window,
    )
    if placed is None:
        return SlotPlan(Placement.BUSY, None)
    return SlotPlan(Placement.MOVED, placed)


@dataclass(frozen=True)
class Restart:
    """A chat's state after /start: the user talking to us means Telegram delivers again
    (no longer blocked); a finished onboarding also means "reminders again" after /stop."""

    active: bool
    blocked: bool


def on_start(chat: Subscription, *, onboarded: bool) -> Restart:
    return Restart(active=chat.active or onboarded, blocked=False)


# --- the weekly summary and the evening nudge -----------------------------------------------


@dataclass(frozen=True)
class Schedule:
    """What of a chat's preferences the digest timing and the progress math need."""

    times: tuple[str, ...]
    days: int
    tz_name: str

    @property
    def goal(self) -> int:
        return max(1, len(set(self.times)))

    @classmethod
    def of(cls, chat: Subscription) -> Schedule:
        return cls(times=tuple(chat.times), days=chat.days, tz_name=chat.timezone)


def _last_time(times: Sequence[str]) -> time | None:
    return max((parse_hhmm(value) for value in times), default=None)


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def nudge_time(schedule: Schedule) -> time | None:
    """The local time of the evening nudge (what /nudge tells), or None when the last reminder
    is at or after 21:00 (a nudge would come after 21:00)."""
    last = _last_time(schedule.times)
    if last is None or last >= NUDGE_LATEST:
        return None
    local = datetime.combine(date(2000, 1, 1), last) + NUDGE_DELAY
    return min(local.time(), NUDGE_LATEST)


def nudge_at(day: date, schedule: Schedule) -> datetime | None:
    """The UTC instant of the evening nudge on a local date, or None: not an active day, or no
    nudge time at all."""
    at = nudge_time(schedule)
    if at is None or not is_active_day(schedule.days, day):
        return None
    return local_instant(day, at, zone(schedule.tz_name))


def last_active_day(week_start: date, days: int) -> date | None:
    """The last active weekday of the Monday-to-Sunday week starting at `week_start`."""
    for offset in range(6, -1, -1):
        day = week_start + timedelta(days=offset)
        if is_active_day(days, day):
            return day
    return None


def summary_at(day: date, schedule: Schedule) -> datetime | None:
    """The UTC instant of the weekly summary if `day` is the last active day of its week."""
    last = _last_time(schedule.times)
    if last is None or last_active_day(monday_of(day), schedule.days) != day:
        return None
    local = datetime.combine(day, last) + SUMMARY_DELAY
    local = min(local, datetime.combine(day, max(last, SUMMARY_LATEST)))
    return local_instant(day, local.time(), zone(schedule.tz_name))


def due_on(kind: str, day: date, schedule: Schedule) -> datetime | None:
    return nudge_at(day, schedule) if kind == "nudge" else summary_at(day, schedule)


def next_occurrence(
    kind: str, schedule: Schedule, *, after: datetime, paused_until: datetime | None = None
) -> datetime | None:
    """The first nudge or summary instant strictly after `after` and not in a pause."""
    start = local_date(after, schedule.tz_name) - timedelta(days=1)
    for offset in range(16):
        at = due_on(kind, start + timedelta(days=offset), schedule)
        if at is not None and at > after and (paused_until is None or at >= paused_until):
            return at
    return None


def next_digest(kind: str, chat: Subscription, now: datetime) -> datetime:
    """When to look at a chat's summary or nudge next: its next occurrence outside a pause,
    or a day from now when there is none."""
    paused = as_utc(chat.paused_until) if is_paused(chat, now) and chat.paused_until else None
    found = next_occurrence(kind, Schedule.of(chat), after=now, paused_until=paused)
    return found or now + DIGEST_RETRY


def send_window_open(kind: str, due: datetime, now: datetime, tz_name: str) -> bool:
    """Whether a due nudge or summary may still go out at `now`: on its own local day, and a
    nudge never after 21:00 local time (a late bot skips it rather than nudging at night)."""
    if now < due:
        return False
    local_now = now.astimezone(zone(tz_name))
    if local_now.date() != local_date(due, tz_name):
        return False
    return kind != "nudge" or local_now.time() <= NUDGE_LATEST
