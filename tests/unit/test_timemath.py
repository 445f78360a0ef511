from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.scheduling.timemath import local_day_bounds, next_due
from bot.storage.models import ALL_DAYS, WORKDAYS

AMS = "Europe/Amsterdam"
NY = "America/New_York"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_next_slot_today_then_tomorrow() -> None:
    # Monday 2026-11-23, 09:00 UTC = 10:00 Amsterdam.
    now = utc(2026, 11, 23, 8, 0)
    assert next_due(times=["10:00", "13:30"], days=ALL_DAYS, tz_name=AMS, after=now) == utc(
        2026, 11, 23, 9, 0
    )
    after_last = utc(2026, 11, 23, 12, 30)
    assert next_due(times=["10:00", "13:30"], days=ALL_DAYS, tz_name=AMS, after=after_last) == utc(
        2026, 11, 24, 9, 0
    )


def test_workdays_skip_the_weekend() -> None:
    friday_evening = utc(2026, 11, 27, 20, 0)
    assert next_due(times=["10:00"], days=WORKDAYS, tz_name=AMS, after=friday_evening) == utc(
        2026, 11, 30, 9, 0
    )


def test_strictly_after() -> None:
    slot = utc(2026, 11, 23, 9, 0)
    assert next_due(times=["10:00"], days=ALL_DAYS, tz_name=AMS, after=slot) == slot + timedelta(
        days=1
    )


def test_spring_forward_gap_fires_once_shifted() -> None:
    # 2026-03-29: Amsterdam jumps from 02:00 CET to 03:00 CEST; 02:30 does not exist.
    before = utc(2026, 3, 28, 23, 0)
    due = next_due(times=["02:30"], days=ALL_DAYS, tz_name=AMS, after=before)
    assert due == utc(2026, 3, 29, 1, 30)  # 03:30 CEST on the wall clock
    again = next_due(times=["02:30"], days=ALL_DAYS, tz_name=AMS, after=due)
    assert again == utc(2026, 3, 30, 0, 30)  # next day: 02:30 CEST


def test_fall_back_fold_fires_once() -> None:
    # 2026-10-25: Amsterdam 03:00 CEST -> 02:00 CET; 02:30 occurs twice.
    before = utc(2026, 10, 24, 22, 0)
    due = next_due(times=["02:30"], days=ALL_DAYS, tz_name=AMS, after=before)
    assert due == utc(2026, 10, 25, 0, 30)  # the first 02:30 (CEST)
    again = next_due(times=["02:30"], days=ALL_DAYS, tz_name=AMS, after=due)
    assert again == utc(2026, 10, 26, 1, 30)  # not the second 02:30 an hour later


def test_new_york_dst_days() -> None:
    # 2026-03-08 spring forward at 02:00 EST -> 03:00 EDT.
    due = next_due(times=["02:30"], days=ALL_DAYS, tz_name=NY, after=utc(2026, 3, 8, 5, 0))
    assert due == utc(2026, 3, 8, 7, 30)
    # 2026-11-01 fall back: 01:30 occurs twice; first is EDT (05:30 UTC).
    due = next_due(times=["01:30"], days=ALL_DAYS, tz_name=NY, after=utc(2026, 11, 1, 4, 0))
    assert due == utc(2026, 11, 1, 5, 30)
    assert next_due(times=["01:30"], days=ALL_DAYS, tz_name=NY, after=due) == utc(
        2026, 11, 2, 6, 30
    )


def test_pause_skips_slots_before_it() -> None:
    now = utc(2026, 11, 23, 8, 0)
    until = utc(2026, 11, 25, 0, 0)
    due = next_due(times=["10:00"], days=ALL_DAYS, tz_name=AMS, after=now, paused_until=until)
    assert due == utc(2026, 11, 25, 9, 0)


def test_nothing_scheduled() -> None:
    now = utc(2026, 11, 23, 8, 0)
    assert next_due(times=[], days=ALL_DAYS, tz_name=AMS, after=now) is None
    assert next_due(times=["10:00"], days=0, tz_name=AMS, after=now) is None


def test_far_east_and_west_zones() -> None:
    now = utc(2026, 11, 23, 8, 0)
    assert next_due(times=["09:00"], days=ALL_DAYS, tz_name="Pacific/Kiritimati", after=now) == (
        utc(2026, 11, 23, 19, 0)
    )
    assert next_due(times=["23:00"], days=ALL_DAYS, tz_name="Pacific/Pago_Pago", after=now) == (
        utc(2026, 11, 23, 10, 0)
    )


def test_local_day_bounds_on_dst_days() -> None:
    from datetime import date

    start, end = local_day_bounds(date(2026, 3, 29), AMS)
    assert end - start == timedelta(hours=23)
    start, end = local_day_bounds(date(2026, 10, 25), AMS)
    assert end - start == timedelta(hours=25)


hhmm = st.builds(lambda h, m: f"{h:02d}:{m:02d}", st.integers(0, 23), st.integers(0, 59))
zones = st.sampled_from([AMS, NY, "Europe/Brussels", "Asia/Kolkata", "Australia/Lord_Howe"])


@settings(max_examples=300, deadline=None)
@given(
    times=st.lists(hhmm, min_size=1, max_size=6),
    days=st.integers(1, ALL_DAYS),
    tz=zones,
    after=st.datetimes(
        min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
    ),
)
def test_properties(times: list[str], days: int, tz: str, after: datetime) -> None:
    due = next_due(times=times, days=days, tz_name=tz, after=after)
    assert due is not None
    assert after < due <= after + timedelta(days=8)
    local = due.astimezone(__import__("zoneinfo").ZoneInfo(tz))
    assert days >> local.weekday() & 1
    # Walking slot by slot never yields the same instant twice and never goes backwards.
    nxt = next_due(times=times, days=days, tz_name=tz, after=due)
    assert nxt is not None and nxt > due
