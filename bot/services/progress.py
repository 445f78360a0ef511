"""Pure progress math: per-day counts, streaks and weeks (when a summary or nudge is due is in
bot.scheduling.rules).

Nothing here reads a clock or a database: callers pass instants, the schedule and `now`.

Rules, in the subscriber's *current* timezone (completions are stored in UTC, so after a
timezone change past completions are re-bucketed into the new zone's days; a break done late
in the evening before a move east can land on the next day. That is the honest reading of the
stored data, and it keeps one zone per chart):

- The daily goal is the number of reminder times (at least 1).
- A day on which the goal was met is MET, on any day of the week that is active; inactive
  weekdays (the weekend under a workday schedule) are OFF and neither add to nor break a streak.
- An active past day on which fewer breaks were done than were due is MISSED and breaks the
  streak. What was due is the goal, or fewer when fewer reminders were actually delivered that
  day (a pause, /stop, a bot outage); a day on which no reminder went out is PAUSED: it is
  excused, neither adding nor breaking. That is how paused days are known historically without
  a pause log: the delivery rows are the log.
- Today is OPEN until the goal is met: an unfinished today never breaks the streak.
- A day whose every slot fell in meetings sent no reminder (the slot was recorded as busy, not
  sent), so it is PAUSED like any other day without a reminder: excused.
- One MISSED day per calendar week (Monday to Sunday, local time) is forgiven: the first one
  is REPAIRED, which neither adds to nor breaks the streak; a second one breaks it.
- Weeks run Monday to Sunday in local time.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from bot.scheduling.rules import Schedule, monday_of
from bot.scheduling.timemath import is_active_day, local_date, zone

WEEKS_SHOWN = 4


class Status(StrEnum):
    MET = "met"
    MISSED = "missed"
    OPEN = "open"  # today, goal not met yet
    OFF = "off"  # not an active weekday in the schedule
    PAUSED = "paused"  # active weekday, but no reminder went out
    NONE = "none"  # before the subscriber started, or in the future
    REPAIRED = "repaired"  # the week's first missed day: forgiven, the streak goes on


@dataclass(frozen=True)
class Day:
    day: date
    count: int
    status: Status


@dataclass(frozen=True)
class Week:
    start: date  # a Monday
    days: tuple[Day, ...]

    @property
    def breaks(self) -> int:
        return sum(d.count for d in self.days)

    @property
    def met(self) -> int:
        return sum(d.status is Status.MET for d in self.days)

    @property
    def missed(self) -> int:
        """Missed days that were not forgiven: each broke the streak."""
        return sum(d.status is Status.MISSED for d in self.days)

    @property
    def repaired(self) -> int:
        return sum(d.status is Status.REPAIRED for d in self.days)

    @property
    def counted(self) -> int:
        """Days that count towards the week: met, missed (forgiven or not), and today if
        still open."""
        counting = (Status.MET, Status.MISSED, Status.REPAIRED, Status.OPEN)
        return sum(d.status in counting for d in self.days)


@dataclass(frozen=True)
class Progress:
    today: date
    goal: int
    today_count: int
    current_streak: int
    best_streak: int
    total: int
    weeks: tuple[Week, ...]  # oldest first; the last one is this week

    @property
    def this_week(self) -> Week:
        return self.weeks[-1]

    @property
    def empty(self) -> bool:
        return self.total == 0


def day_counts(instants: Iterable[datetime], tz_name: str) -> Counter[date]:
    """How many instants fall on each local date of the zone."""
    tz = zone(tz_name)
    return Counter(instant.astimezone(tz).date() for instant in instants)


def classify(
    day: date,
    *,
    count: int,
    goal: int,
    days: int,
    today: date,
    first_day: date,
    reminders: Mapping[date, int] | None,
) -> Status:
    """The status of one local date; `reminders` None means every active day was reminded."""
    if day > today or day < first_day:
        return Status.NONE
    if not is_active_day(days, day):
        return Status.OFF
    if count >= goal:
        return Status.MET
    if day == today:
        return Status.OPEN
    due = goal if reminders is None else min(goal, reminders.get(day, 0))
    if due == 0:
        return Status.PAUSED
    return Status.MET if count >= due else Status.MISSED


def day_statuses(
    counts: Mapping[date, int],
    *,
    goal: int,
    days: int,
    today: date,
    first_day: date,
    reminders: Mapping[date, int] | None = None,
    until: date | None = None,
) -> dict[date, Status]:
    """The status of every local date from the Monday of `first_day`'s week to `until`
    (default today), with the first missed day of each calendar week forgiven (REPAIRED)."""
    statuses: dict[date, Status] = {}
    forgiven: set[date] = set()  # the Mondays of weeks that used their repair
    day = monday_of(first_day)
    last = max(until or today, today)
    while day <= last:
        status = classify(
            day,
            count=counts.get(day, 0),
            goal=goal,
            days=days,
            today=today,
            first_day=first_day,
            reminders=reminders,
        )
        if status is Status.MISSED and monday_of(day) not in forgiven:
            forgiven.add(monday_of(day))
            status = Status.REPAIRED
        statuses[day] = status
        day += timedelta(days=1)
    return statuses


def streaks(
    counts: Mapping[date, int],
    *,
    goal: int,
    days: int,
    today: date,
    first_day: date,
    reminders: Mapping[date, int] | None = None,
) -> tuple[int, int]:
    """(current, best): runs of MET days; OFF, PAUSED, REPAIRED and an OPEN today are skipped
    over, only an unforgiven MISSED day breaks a run."""
    statuses = day_statuses(
        counts, goal=goal, days=days, today=today, first_day=first_day, reminders=reminders
    )
    return _runs(statuses)


def _runs(statuses: Mapping[date, Status]) -> tuple[int, int]:
    run = best = 0
    for day in sorted(statuses):
        status = statuses[day]
        if status is Status.MET:
            run += 1
            best = max(best, run)
        elif status is Status.MISSED:
            run = 0
    return run, best


def build_progress(
    completions: Sequence[datetime],
    *,
    schedule: Schedule,
    now: datetime,
    started: datetime,
    reminders: Sequence[datetime] | None = None,
) -> Progress:
    """Everything /stats and the weekly summary show, from completion and reminder instants.

    `started` is when the subscriber registered: days before it are not counted. `reminders`
    are the instants of reminders actually delivered (None: assume all were).
    """
    tz_name = schedule.tz_name
    today = local_date(now, tz_name)
    counts = day_counts(completions, tz_name)
    first_day = min([local_date(started, tz_name), *counts])
    first_day = min(first_day, today)
    reminded = None if reminders is None else day_counts(set(reminders), tz_name)
    goal = schedule.goal
    this_monday = monday_of(today)
    oldest_shown = this_monday - timedelta(weeks=WEEKS_SHOWN - 1)
    statuses = day_statuses(
        counts,
        goal=goal,
        days=schedule.days,
        today=today,
        first_day=first_day,
        reminders=reminded,
        until=this_monday + timedelta(days=6),
    )
    current, best = _runs(statuses)
    weeks = []
    for back in range(WEEKS_SHOWN - 1, -1, -1):
        start = this_monday - timedelta(weeks=back)
        week_days = []
        for offset in range(7):
            day = start + timedelta(days=offset)
            count = counts.get(day, 0) if day <= today else 0
            status = statuses.get(day, Status.NONE) if day >= oldest_shown else Status.NONE
            week_days.append(Day(day, count, status))
        weeks.append(Week(start, tuple(week_days)))
    return Progress(
        today=today,
        goal=goal,
        today_count=counts.get(today, 0),
        current_streak=current,
        best_streak=best,
        total=sum(counts.values()),
        weeks=tuple(weeks),
    )


class Verdict(StrEnum):
    """How the week went, for the one summary sentence: never praise what didn't happen."""

    ALL = "all"  # goal met on every counted day
    MOST = "most"  # more than half
    SOME = "some"  # at least one day
    BREAKS = "breaks"  # no day met, but some breaks done
    NOTHING = "nothing"


def verdict(week: Week) -> Verdict:
    if week.counted and week.met == week.counted:
        return Verdict.ALL
    if week.met * 2 > week.counted:
        return Verdict.MOST
    if week.met:
        return Verdict.SOME
    return Verdict.BREAKS if week.breaks else Verdict.NOTHING
