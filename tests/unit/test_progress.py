"""Pure progress math: goal, streaks, weeks, daylight saving, timezone changes, pauses, and
when the nudge and the weekly summary are due."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.rules import (
    Schedule,
    next_occurrence,
    nudge_at,
    nudge_time,
    send_window_open,
    summary_at,
)
from bot.services.progress import (
    Day,
    Status,
    Verdict,
    Week,
    build_progress,
    classify,
    day_counts,
    streaks,
    verdict,
)
from bot.storage.models import ALL_DAYS, WORKDAYS

AMS = "Europe/Amsterdam"
NY = "America/New_York"
THREE = ("10:00", "13:30", "16:00")


def local(tz: str, y: int, m: int, d: int, hh: int = 12, mm: int = 0, fold: int = 0) -> datetime:
    """A local wall-clock time as the UTC instant that would be stored."""
    return datetime(y, m, d, hh, mm, tzinfo=ZoneInfo(tz), fold=fold).astimezone(UTC)


def full_days(tz: str, days: list[date], per_day: int = 3) -> list[datetime]:
    return [local(tz, d.year, d.month, d.day, 9 + 2 * k) for d in days for k in range(per_day)]


def span(start: date, n: int) -> list[date]:
    return [start + timedelta(days=i) for i in range(n)]


# --- goal and basic streaks ------------------------------------------------------------------


def test_goal_is_the_number_of_reminder_times() -> None:
    assert Schedule(THREE, WORKDAYS, AMS).goal == 3
    assert Schedule(("09:00",), WORKDAYS, AMS).goal == 1
    assert Schedule((), WORKDAYS, AMS).goal == 1  # no times: one break still counts as a day
    assert Schedule(("09:00", "09:00"), WORKDAYS, AMS).goal == 1


def test_two_work_weeks_met_make_a_ten_day_streak_over_the_weekend() -> None:
    # Mon 2026-11-09 .. Fri 2026-11-20, weekend untouched; now Monday 23 Nov morning.
    days = [d for d in span(date(2026, 11, 9), 12) if d.weekday() < 5]
    now = local(AMS, 2026, 11, 23, 8)
    p = build_progress(
        full_days(AMS, days),
        schedule=Schedule(THREE, WORKDAYS, AMS),
        now=now,
        started=local(AMS, 2026, 11, 1),
    )
    assert (p.current_streak, p.best_streak) == (10, 10)
    assert p.today_count == 0 and p.goal == 3
    assert p.this_week.start == date(2026, 11, 23)
    assert [w.start for w in p.weeks] == [
        date(2026, 11, 2),
        date(2026, 11, 9),
        date(2026, 11, 16),
        date(2026, 11, 23),
    ]
    assert (p.weeks[1].met, p.weeks[1].counted, p.weeks[1].breaks) == (5, 5, 15)


def test_a_second_missed_day_in_a_week_breaks_the_streak_and_today_in_progress_does_not() -> None:
    sched = Schedule(THREE, ALL_DAYS, AMS)
    days = span(date(2026, 11, 10), 10)  # 10..19 Nov
    missed = (date(2026, 11, 11), date(2026, 11, 13))  # Wed and Fri of one week
    comps = full_days(AMS, [d for d in days if d not in missed])
    comps.append(local(AMS, 2026, 11, 13, 9))  # only 1 of 3 on the 13th
    now = local(AMS, 2026, 11, 20, 11)  # today (20th): nothing done yet
    p = build_progress(comps, schedule=sched, now=now, started=local(AMS, 2026, 11, 10))
    assert p.best_streak == 6  # 14..19: the 11th was forgiven, the 13th was not
    assert p.current_streak == 6  # today open: not broken
    week = p.weeks[-2]  # 9..15 Nov
    assert [d.status for d in week.days if d.day in missed] == [Status.REPAIRED, Status.MISSED]
    assert (week.repaired, week.missed, week.met, week.counted) == (1, 1, 4, 6)
    # Today met: the streak grows by one.
    comps += full_days(AMS, [date(2026, 11, 20)])
    p = build_progress(comps, schedule=sched, now=now, started=local(AMS, 2026, 11, 10))
    assert (p.current_streak, p.best_streak, p.today_count) == (7, 7, 3)
    # Tomorrow, with nothing on the 20th: it is the week's first missed day, so forgiven.
    later = build_progress(
        comps[:-3], schedule=sched, now=now + timedelta(days=1), started=local(AMS, 2026, 11, 10)
    )
    assert later.current_streak == 6
    assert later.this_week.days[4].status is Status.REPAIRED
    # And a second one in the same week (Saturday the 21st, seen on Sunday) breaks it.
    sunday = build_progress(
        comps[:-3], schedule=sched, now=now + timedelta(days=2), started=local(AMS, 2026, 11, 10)
    )
    assert sunday.current_streak == 0
    assert sunday.this_week.days[5].status is Status.MISSED


def test_one_forgiven_day_per_calendar_week_in_local_time_across_dst() -> None:
    # Europe/Amsterdam leaves summer time on Sunday 25 Oct 2026. A missed Friday 23 Oct and a
    # missed Monday 26 Oct lie in different calendar weeks: both are forgiven.
    sched = Schedule(THREE, WORKDAYS, AMS)
    days = [d for d in span(date(2026, 10, 19), 12) if d.weekday() < 5]
    missed = {date(2026, 10, 23), date(2026, 10, 26)}
    comps = full_days(AMS, [d for d in days if d not in missed])
    now = local(AMS, 2026, 10, 30, 20)
    p = build_progress(comps, schedule=sched, now=now, started=local(AMS, 2026, 10, 19))
    assert (p.current_streak, p.best_streak) == (8, 8)
    statuses = {d.day: d.status for w in p.weeks for d in w.days}
    assert statuses[date(2026, 10, 23)] is Status.REPAIRED
    assert statuses[date(2026, 10, 26)] is Status.REPAIRED
    # A break done at 23:30 local on Sunday 25 Oct (22:30 UTC, after the change) is Sunday's.
    assert day_counts([local(AMS, 2026, 10, 25, 23, 30)], AMS) == {date(2026, 10, 25): 1}


def test_a_day_whose_every_slot_fell_in_meetings_is_excused() -> None:
    # Wednesday's reminders were all skipped for meetings: none went out (the rows say busy,
    # not sent), so the day neither breaks the streak nor uses the week's repair.
    sched = Schedule(THREE, WORKDAYS, AMS)
    days = span(date(2026, 11, 16), 5)
    wednesday = date(2026, 11, 18)
    comps = full_days(AMS, [d for d in days if d != wednesday])
    reminders = [
        local(AMS, d.year, d.month, d.day, h) for d in days if d != wednesday for h in (10, 13, 16)
    ]
    thursday_missed = [
        c for c in comps if local(AMS, 2026, 11, 19, 0) > c or c > local(AMS, 2026, 11, 20, 0)
    ]
    now = local(AMS, 2026, 11, 20, 20)
    p = build_progress(
        thursday_missed,
        schedule=sched,
        now=now,
        started=local(AMS, 2026, 11, 16),
        reminders=reminders,
    )
    week = p.this_week
    assert week.days[2].status is Status.PAUSED  # the meetings day: excused
    assert week.days[3].status is Status.REPAIRED  # Thursday: the week's one forgiven day
    assert (p.current_streak, week.repaired, week.missed) == (3, 1, 0)


def test_inactive_days_neither_add_nor_break() -> None:
    sched = Schedule(THREE, WORKDAYS, AMS)
    # Fri 20 met, Sat 21 three breaks (day off), Sun nothing, Mon 23 met.
    comps = full_days(AMS, [date(2026, 11, 20), date(2026, 11, 21), date(2026, 11, 23)])
    p = build_progress(
        comps, schedule=sched, now=local(AMS, 2026, 11, 23, 20), started=local(AMS, 2026, 11, 20)
    )
    assert p.current_streak == 2
    saturday = p.this_week.days[5]
    assert saturday.day == date(2026, 11, 28)  # this week's Saturday is in the future
    last_week_sat = p.weeks[-2].days[5]
    assert (last_week_sat.count, last_week_sat.status) == (3, Status.OFF)


def test_days_before_the_subscriber_started_do_not_count() -> None:
    sched = Schedule(THREE, ALL_DAYS, AMS)
    comps = full_days(AMS, [date(2026, 11, 22)])
    p = build_progress(
        comps, schedule=sched, now=local(AMS, 2026, 11, 23, 8), started=local(AMS, 2026, 11, 22, 8)
    )
    assert p.current_streak == 1
    assert p.weeks[-2].days[0].status is Status.NONE  # Monday 16th: before the start


# --- paused days ----------------------------------------------------------------------------


def test_days_without_a_delivered_reminder_are_paused_and_excused() -> None:
    """A pause (or /stop, or an outage) is known from the delivery rows: on a day no reminder
    went out nothing was due, so it neither breaks nor adds."""
    sched = Schedule(THREE, ALL_DAYS, AMS)
    met_days = [date(2026, 11, 16), date(2026, 11, 17), date(2026, 11, 21), date(2026, 11, 22)]
    reminded = [
        local(AMS, d.year, d.month, d.day, hh, mm)
        for d in met_days
        for hh, mm in ((10, 0), (13, 30), (16, 0))
    ]
    # 18..20 paused: no reminders, one break on the 19th anyway.
    comps = [*full_days(AMS, met_days), local(AMS, 2026, 11, 19, 11)]
    p = build_progress(
        comps,
        schedule=sched,
        now=local(AMS, 2026, 11, 23, 8),
        started=local(AMS, 2026, 11, 16),
        reminders=reminded,
    )
    assert (p.current_streak, p.best_streak) == (4, 4)
    statuses = [d.status for d in p.weeks[-2].days]
    assert statuses == [Status.MET] * 2 + [Status.PAUSED] * 3 + [Status.MET] * 2
    # Without the delivery record the same days would have broken the streak.
    p = build_progress(
        comps, schedule=sched, now=local(AMS, 2026, 11, 23, 8), started=local(AMS, 2026, 11, 16)
    )
    assert (p.current_streak, p.best_streak) == (2, 2)


def test_a_partly_paused_day_asks_only_for_the_reminders_that_went_out() -> None:
    sched = Schedule(THREE, ALL_DAYS, AMS)
    day = date(2026, 11, 18)
    reminded = [local(AMS, 2026, 11, 18, 13, 30), local(AMS, 2026, 11, 18, 16)]  # paused until 12
    comps = [local(AMS, 2026, 11, 18, 14), local(AMS, 2026, 11, 18, 16, 5)]
    counts = day_counts(comps, AMS)
    reminders = day_counts(reminded, AMS)
    kwargs = {"goal": 3, "days": ALL_DAYS, "today": date(2026, 11, 19), "first_day": day}
    assert classify(day, count=2, reminders=reminders, **kwargs) is Status.MET  # type: ignore[arg-type]
    assert classify(day, count=1, reminders=reminders, **kwargs) is Status.MISSED  # type: ignore[arg-type]
    assert sched.goal == 3 and counts[day] == 2


# --- daylight saving and timezones -----------------------------------------------------------


def test_amsterdam_spring_forward_week_counts_every_local_day() -> None:
    """Mon 23 .. Sun 29 March 2026; the clocks jump 02:00 -> 03:00 on Sunday. Breaks just after
    midnight and just before midnight belong to their local day, not the UTC one."""
    days = span(date(2026, 3, 23), 7)
    comps = [
        local(AMS, d.year, d.month, d.day, hh, mm)
        for d in days
        for hh, mm in ((0, 15), (12, 0), (23, 45))
    ]
    p = build_progress(
        comps,
        schedule=Schedule(THREE, ALL_DAYS, AMS),
        now=local(AMS, 2026, 3, 29, 23, 50),
        started=local(AMS, 2026, 3, 1),
    )
    assert [d.count for d in p.this_week.days] == [3] * 7
    assert (p.this_week.met, p.this_week.breaks, p.current_streak) == (7, 21, 7)


def test_amsterdam_fall_back_week_counts_the_repeated_hour_once_per_break() -> None:
    """Sunday 25 October 2026: 02:30 happens twice; both breaks are on the 25th."""
    days = span(date(2026, 10, 19), 6)  # Mon..Sat
    comps = full_days(AMS, days)
    comps += [
        local(AMS, 2026, 10, 25, 2, 30, fold=0),
        local(AMS, 2026, 10, 25, 2, 30, fold=1),
        local(AMS, 2026, 10, 25, 23, 59),
    ]
    assert comps[-3] != comps[-2]
    p = build_progress(
        comps,
        schedule=Schedule(THREE, ALL_DAYS, AMS),
        now=local(AMS, 2026, 10, 26, 8),
        started=local(AMS, 2026, 10, 1),
    )
    sunday = p.weeks[-2].days[6]
    assert (sunday.day, sunday.count, sunday.status) == (date(2026, 10, 25), 3, Status.MET)
    assert p.current_streak == 7


def test_new_york_weeks_end_on_local_sunday_across_the_march_change() -> None:
    """Sunday 8 March 2026 23:30 in New York is Monday 03:30 UTC: still last week."""
    late_sunday = local(NY, 2026, 3, 8, 23, 30)
    assert late_sunday.weekday() == 0  # Monday in UTC
    p = build_progress(
        [late_sunday, local(NY, 2026, 3, 7, 23, 30)],
        schedule=Schedule(("09:00",), ALL_DAYS, NY),
        now=local(NY, 2026, 3, 10, 9),
        started=local(NY, 2026, 3, 1),
    )
    last_week = p.weeks[-2]
    assert last_week.start == date(2026, 3, 2)
    assert [d.count for d in last_week.days][5:] == [1, 1]
    assert p.this_week.breaks == 0


def test_after_a_timezone_change_history_is_read_in_the_current_zone() -> None:
    """Completions are stored in UTC and bucketed in the chat's zone *now*: a break at 03:00
    UTC on Tuesday is Tuesday for Amsterdam and Monday evening for New York."""
    instant = datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    assert day_counts([instant], AMS) == {date(2026, 11, 24): 1}
    assert day_counts([instant], NY) == {date(2026, 11, 23): 1}
    now = datetime(2026, 11, 25, 12, tzinfo=UTC)
    for tz, monday_count in ((AMS, 0), (NY, 1)):
        p = build_progress(
            [instant],
            schedule=Schedule(("09:00",), ALL_DAYS, tz),
            now=now,
            started=datetime(2026, 11, 20, tzinfo=UTC),
        )
        assert p.this_week.days[0].count == monday_count


# --- properties ------------------------------------------------------------------------------

day_sets = st.dictionaries(st.integers(0, 59), st.integers(0, 4), max_size=60)


@settings(max_examples=200, deadline=None)
@given(counts=day_sets, extra=st.integers(0, 59), days=st.integers(1, 127), goal=st.integers(1, 4))
def test_another_break_never_lowers_a_streak(
    counts: dict[int, int], extra: int, days: int, goal: int
) -> None:
    first = date(2026, 1, 5)
    today = first + timedelta(days=59)
    as_dates = {first + timedelta(days=k): v for k, v in counts.items()}
    current, best = streaks(as_dates, goal=goal, days=days, today=today, first_day=first)
    assert 0 <= current <= best <= 60
    more = dict(as_dates)
    day = first + timedelta(days=extra)
    more[day] = more.get(day, 0) + 1
    current2, best2 = streaks(more, goal=goal, days=days, today=today, first_day=first)
    assert current2 >= current and best2 >= best


@settings(max_examples=200, deadline=None)
@given(counts=day_sets, noise=day_sets)
def test_breaks_on_days_off_never_change_a_streak(
    counts: dict[int, int], noise: dict[int, int]
) -> None:
    first = date(2026, 1, 5)  # a Monday
    today = first + timedelta(days=59)
    base = {first + timedelta(days=k): v for k, v in counts.items()}
    noisy = dict(base)
    for k, v in noise.items():
        d = first + timedelta(days=k)
        if d.weekday() >= 5:
            noisy[d] = v
    args = {"goal": 3, "days": WORKDAYS, "today": today, "first_day": first}
    assert streaks(base, **args) == streaks(noisy, **args)  # type: ignore[arg-type]


# --- verdict: one sentence true to the numbers -----------------------------------------------


def _week(statuses: list[Status], counts: list[int]) -> Week:
    start = date(2026, 11, 23)
    return Week(
        start,
        tuple(
            Day(start + timedelta(days=i), c, s)
            for i, (s, c) in enumerate(zip(statuses, counts, strict=True))
        ),
    )


def test_verdict_never_praises_what_did_not_happen() -> None:
    met, missed, off = Status.MET, Status.MISSED, Status.OFF
    assert verdict(_week([met] * 5 + [off] * 2, [3] * 5 + [0, 0])) is Verdict.ALL
    assert verdict(_week([met] * 3 + [missed] * 2 + [off] * 2, [3, 3, 3, 1, 0, 0, 0])) is (
        Verdict.MOST
    )
    assert verdict(_week([met] + [missed] * 4 + [off] * 2, [3, 1, 0, 0, 0, 0, 0])) is Verdict.SOME
    assert verdict(_week([missed] * 5 + [off] * 2, [1, 1, 0, 0, 0, 0, 0])) is Verdict.BREAKS
    assert verdict(_week([missed] * 5 + [off] * 2, [0] * 7)) is Verdict.NOTHING
    # Half is not most.
    half = _week([met, met, missed, missed] + [off] * 3, [3, 3, 0, 0, 0, 0, 0])
    assert verdict(half) is Verdict.SOME


# --- when the nudge and the summary are due --------------------------------------------------


def test_nudge_an_hour_after_the_last_reminder_never_after_21() -> None:
    monday = date(2026, 11, 23)
    assert nudge_at(monday, Schedule(THREE, WORKDAYS, AMS)) == local(AMS, 2026, 11, 23, 17)
    assert nudge_at(monday, Schedule(("20:30",), WORKDAYS, AMS)) == local(AMS, 2026, 11, 23, 21)
    assert nudge_at(monday, Schedule(("21:00",), WORKDAYS, AMS)) is None
    assert nudge_at(monday, Schedule(("09:00", "22:15"), WORKDAYS, AMS)) is None
    assert nudge_at(date(2026, 11, 28), Schedule(THREE, WORKDAYS, AMS)) is None  # Saturday
    assert nudge_at(monday, Schedule((), WORKDAYS, AMS)) is None


def test_the_nudge_time_told_is_the_time_it_comes() -> None:
    assert nudge_time(Schedule(("09:50", "13:37", "15:43"), WORKDAYS, AMS)) == time(16, 43)
    assert nudge_time(Schedule(("20:30",), WORKDAYS, AMS)) == time(21, 0)
    assert nudge_time(Schedule(("21:00",), WORKDAYS, AMS)) is None
    sched = Schedule(("09:50", "13:37", "15:43"), WORKDAYS, AMS)
    told = nudge_time(sched)
    at = nudge_at(date(2026, 11, 23), sched)
    assert told is not None and at is not None and at.astimezone(ZoneInfo(AMS)).time() == told


def test_nudge_follows_the_wall_clock_across_daylight_saving() -> None:
    sched = Schedule(THREE, ALL_DAYS, AMS)
    assert nudge_at(date(2026, 3, 28), sched) == datetime(2026, 3, 28, 16, tzinfo=UTC)
    assert nudge_at(date(2026, 3, 29), sched) == datetime(2026, 3, 29, 15, tzinfo=UTC)
    ny = Schedule(("15:00",), ALL_DAYS, NY)
    assert nudge_at(date(2026, 11, 1), ny) == datetime(2026, 11, 1, 21, tzinfo=UTC)  # EST


def test_send_window_closes_at_21_and_at_midnight() -> None:
    due = local(AMS, 2026, 11, 23, 20, 30)
    assert not send_window_open("nudge", due, due - timedelta(seconds=1), AMS)
    assert send_window_open("nudge", due, local(AMS, 2026, 11, 23, 21, 0), AMS)
    assert not send_window_open("nudge", due, local(AMS, 2026, 11, 23, 21, 1), AMS)
    assert send_window_open("summary", due, local(AMS, 2026, 11, 23, 23, 0), AMS)
    assert not send_window_open("summary", due, local(AMS, 2026, 11, 24, 0, 5), AMS)


def test_summary_on_the_last_active_day_of_the_week() -> None:
    workdays = Schedule(THREE, WORKDAYS, AMS)
    assert summary_at(date(2026, 11, 27), workdays) == local(AMS, 2026, 11, 27, 17)  # Friday
    assert summary_at(date(2026, 11, 26), workdays) is None
    mon_wed = Schedule(THREE, 0b0000101, AMS)
    assert summary_at(date(2026, 11, 25), mon_wed) == local(AMS, 2026, 11, 25, 17)
    late = Schedule(("23:00",), ALL_DAYS, AMS)
    assert summary_at(date(2026, 11, 29), late) == local(AMS, 2026, 11, 29, 23, 30)


def test_next_occurrence_skips_pauses_and_days_off() -> None:
    sched = Schedule(THREE, WORKDAYS, AMS)
    friday_after = local(AMS, 2026, 11, 27, 18)
    assert next_occurrence("nudge", sched, after=friday_after) == local(AMS, 2026, 11, 30, 17)
    assert next_occurrence("summary", sched, after=friday_after) == local(AMS, 2026, 12, 4, 17)
    paused = next_occurrence(
        "nudge", sched, after=friday_after, paused_until=local(AMS, 2026, 12, 2, 0)
    )
    assert paused == local(AMS, 2026, 12, 2, 17)
    assert next_occurrence("nudge", Schedule(("21:30",), WORKDAYS, AMS), after=friday_after) is None
