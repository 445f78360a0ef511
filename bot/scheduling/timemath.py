"""Pure time math: when is a chat's next reminder due? Takes `now`, never reads a clock.

Local wall-clock times are turned into UTC instants with zoneinfo. A time that does not exist
on a spring-forward day (02:30 in Europe/Amsterdam) is taken with the offset from before the
jump, so it fires once, an hour later on the wall clock; a time that occurs twice on a
fall-back day fires once, at its first occurrence (fold=0).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WORKDAYS = 0b0011111  # a weekday mask: bit 0 = Monday ... bit 6 = Sunday
ALL_DAYS = 0b1111111


@lru_cache(maxsize=1024)
def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown timezone {name!r}") from exc


def parse_hhmm(value: str) -> time:
    hour, minute = value.split(":")
    return time(int(hour), int(minute))


def is_active_day(days: int, day: date) -> bool:
    return bool(days >> day.weekday() & 1)


def local_instant(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date (gap: shifted, fold: first)."""
    return datetime.combine(day, at, tzinfo=tz).astimezone(UTC)


def slots(
    times: Sequence[str], days: int, tz_name: str, start: date, *, count_days: int = 8
) -> Iterator[datetime]:
    """UTC instants of the schedule's slots on local dates from `start`, in order."""
    tz = zone(tz_name)
    parsed = sorted({parse_hhmm(value) for value in times})
    for offset in range(count_days):
        day = start + timedelta(days=offset)
        if not is_active_day(days, day):
            continue
        instants = sorted({local_instant(day, at, tz) for at in parsed})
        yield from instants


def next_due(
    *,
    times: Sequence[str],
    days: int,
    tz_name: str,
    after: datetime,
    paused_until: datetime | None = None,
) -> datetime | None:
    """The first slot strictly after `after` and not before `paused_until`, in UTC.

    None when the schedule has no times or no days.
    """
    if not times or not days & 0b1111111:
        return None
    floor = max(after, paused_until) if paused_until else after
    tz = zone(tz_name)
    # Start a day early: a slot on the previous local date can still lie after `floor` in
    # UTC when the zone is far behind UTC.
    start = floor.astimezone(tz).date() - timedelta(days=1)
    for slot in slots(times, days, tz_name, start, count_days=10):
        if slot > after and (paused_until is None or slot >= paused_until):
            return slot
    return None


def local_day_bounds(day: date, tz_name: str) -> tuple[datetime, datetime]:
    """The UTC instants at which a local calendar day starts and ends (23, 24 or 25 hours)."""
    tz = zone(tz_name)
    start = datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz).astimezone(UTC)
    return start, end


def local_date(instant: datetime, tz_name: str) -> date:
    return instant.astimezone(zone(tz_name)).date()


def as_utc(instant: datetime) -> datetime:
    """An aware UTC instant: SQLite hands back stored UTC datetimes without tzinfo."""
    return instant.replace(tzinfo=UTC) if instant.tzinfo is None else instant.astimezone(UTC)
