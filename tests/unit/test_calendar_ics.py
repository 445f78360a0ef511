"""Busy time read from iCalendar data: recurrences and their exceptions, time zones, what is
not busy, and malformed input."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.calendar.ics import MAX_OCCURRENCES, IcsError, _expand, busy_intervals, merge

AMS = "Europe/Amsterdam"
NOW = datetime(2026, 10, 24, 6, 0, tzinfo=UTC)  # Saturday; summer time ends Sunday 03:00


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def ics(*events: str, extra: str = "") -> bytes:
    body = "".join(f"BEGIN:VEVENT\n{event.strip()}\nEND:VEVENT\n" for event in events)
    text = f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//t//EN\n{extra}{body}END:VCALENDAR\n"
    return text.replace("\n", "\r\n").encode()


def busy(data: bytes, *, now: datetime = NOW, tz: str = AMS, **kw: object) -> list[object]:
    return list(busy_intervals(data, now=now, tz_name=tz, **kw))  # type: ignore[arg-type]


def test_recurrence_with_exdate_rdate_and_a_moved_occurrence() -> None:
    data = ics(
        """
UID:standup
DTSTART;TZID=Europe/Amsterdam:20261019T093000
DTEND;TZID=Europe/Amsterdam:20261019T100000
RRULE:FREQ=DAILY
EXDATE;TZID=Europe/Amsterdam:20261025T093000
RDATE;TZID=Europe/Amsterdam:20261025T140000
""",
        """
UID:standup
RECURRENCE-ID;TZID=Europe/Amsterdam:20261026T093000
DTSTART;TZID=Europe/Amsterdam:20261026T113000
DTEND;TZID=Europe/Amsterdam:20261026T120000
""",
    )
    assert busy(data, horizon=timedelta(days=3)) == [
        (utc(2026, 10, 24, 7, 30), utc(2026, 10, 24, 8, 0)),  # 09:30 CEST
        (utc(2026, 10, 25, 13, 0), utc(2026, 10, 25, 13, 30)),  # RDATE 14:00 CET
        (utc(2026, 10, 26, 10, 30), utc(2026, 10, 26, 11, 0)),  # moved to 11:30 CET
        # 27 October 09:30 CET is 08:30 UTC, after the three days.
    ]


def test_a_cancelled_occurrence_of_a_series_is_not_busy() -> None:
    data = ics(
        """
UID:weekly
DTSTART:20261019T100000Z
DTEND:20261019T110000Z
RRULE:FREQ=DAILY;COUNT=10
""",
        """
UID:weekly
RECURRENCE-ID:20261024T100000Z
DTSTART:20261024T100000Z
DTEND:20261024T110000Z
STATUS:CANCELLED
""",
    )
    assert busy(data) == [(utc(2026, 10, 25, 10), utc(2026, 10, 25, 11))]


def test_a_windows_time_zone_defined_in_the_file() -> None:
    vtimezone = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""
    data = ics(
        """
UID:outlook
DTSTART;TZID=W. Europe Standard Time:20261024T140000
DTEND;TZID=W. Europe Standard Time:20261024T150000
RRULE:FREQ=DAILY;COUNT=2
""",
        extra=vtimezone,
    )
    assert busy(data) == [
        (utc(2026, 10, 24, 12), utc(2026, 10, 24, 13)),  # CEST
        (utc(2026, 10, 25, 13), utc(2026, 10, 25, 14)),  # CET after the change
    ]


def test_floating_times_are_read_in_the_users_zone() -> None:
    data = ics("UID:f\nDTSTART:20261024T120000\nDTEND:20261024T123000")
    assert busy(data, tz=AMS) == [(utc(2026, 10, 24, 10), utc(2026, 10, 24, 10, 30))]
    assert busy(data, tz="America/New_York") == [(utc(2026, 10, 24, 16), utc(2026, 10, 24, 16, 30))]


def test_utc_times_and_durations() -> None:
    data = ics(
        "UID:u\nDTSTART:20261024T090000Z\nDURATION:PT45M",
        "UID:v\nDTSTART:20261024T200000Z",  # no end, no duration: an instant, not busy
    )
    assert busy(data) == [(utc(2026, 10, 24, 9), utc(2026, 10, 24, 9, 45))]


def test_all_day_free_and_cancelled_events_are_not_busy() -> None:
    data = ics(
        "UID:a\nDTSTART;VALUE=DATE:20261024\nDTEND;VALUE=DATE:20261026",
        "UID:b\nDTSTART:20261024T090000Z\nDTEND:20261024T100000Z\nTRANSP:TRANSPARENT",
        "UID:c\nDTSTART:20261024T110000Z\nDTEND:20261024T120000Z\nSTATUS:CANCELLED",
        "UID:d\nDTSTART:20261024T130000Z\nDTEND:20261024T140000Z\nX-MICROSOFT-CDO-BUSYSTATUS:FREE",
        "UID:e\nDTSTART:20261024T150000Z\nDTEND:20261024T160000Z\nTRANSP:OPAQUE",
    )
    assert busy(data) == [(utc(2026, 10, 24, 15), utc(2026, 10, 24, 16))]


def test_intervals_are_clipped_to_the_next_two_days_and_merged() -> None:
    data = ics(
        "UID:a\nDTSTART:20261024T050000Z\nDTEND:20261024T063000Z",  # running at `now`
        "UID:b\nDTSTART:20261024T090000Z\nDTEND:20261024T100000Z",
        "UID:c\nDTSTART:20261024T093000Z\nDTEND:20261024T103000Z",  # overlaps b
        "UID:d\nDTSTART:20261024T103000Z\nDTEND:20261024T110000Z",  # touches c
        "UID:e\nDTSTART:20261026T050000Z\nDTEND:20261026T070000Z",  # crosses the horizon
        "UID:f\nDTSTART:20261026T070000Z\nDTEND:20261026T080000Z",  # after it
        "UID:g\nDTSTART:20261023T090000Z\nDTEND:20261023T100000Z",  # before now
    )
    assert busy(data) == [
        (NOW, utc(2026, 10, 24, 6, 30)),
        (utc(2026, 10, 24, 9), utc(2026, 10, 24, 11)),
        (utc(2026, 10, 26, 5), utc(2026, 10, 26, 6)),
    ]


def test_only_times_come_out() -> None:
    data = ics(
        "UID:s\nDTSTART:20261024T090000Z\nDTEND:20261024T100000Z\nSUMMARY:Secret merger\n"
        "DESCRIPTION:Code 4711\nLOCATION:Board room\nATTENDEE:mailto:ceo@example.org"
    )
    (interval,) = busy(data)
    assert isinstance(interval, tuple) and len(interval) == 2
    assert all(type(value) is datetime and value.tzinfo is UTC for value in interval)


def test_merge_joins_overlapping_and_touching_intervals() -> None:
    a, b, c, d = (utc(2026, 1, 1, h) for h in (9, 10, 11, 12))
    assert merge([(c, d), (a, b), (b, c)]) == [(a, d)]
    assert merge([(a, c), (b, c)]) == [(a, c)]
    assert merge([(a, b), (c, d)]) == [(a, b), (c, d)]
    assert merge([]) == []


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"this is not a calendar",
        b"<html><body>Sign in</body></html>",
        b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART:yesterday-ish\r\nEND:VCALENDAR\r\n",
        ics("UID:r\nDTSTART:20261024T090000Z\nDTEND:20261024T100000Z\nRRULE:FREQ=SOMETIMES"),
        b"BEGIN:VEVENT\r\nDTSTART:20261024T090000Z\r\nEND:VEVENT\r\n",
    ],
)
def test_malformed_data_is_a_clear_error(data: bytes) -> None:
    with pytest.raises(IcsError):
        busy(data)


def test_second_and_minute_series_are_ignored_quickly() -> None:
    data = ics(
        "UID:s\nDTSTART:20200101T000000Z\nDURATION:PT1S\nRRULE:FREQ=SECONDLY",
        "UID:m\nDTSTART:20200101T000000Z\nDURATION:PT1M\nRRULE:FREQ=MINUTELY",
        "UID:ok\nDTSTART:20261024T090000Z\nDTEND:20261024T100000Z",
    )
    started = time.perf_counter()
    assert busy(data) == [(utc(2026, 10, 24, 9), utc(2026, 10, 24, 10))]
    assert time.perf_counter() - started < 2


def test_too_many_occurrences_is_an_error() -> None:
    series = [
        f"UID:h{n}\nDTSTART:20261023T000000Z\nDURATION:PT30M\nRRULE:FREQ=HOURLY"
        for n in range(MAX_OCCURRENCES // 96 + 2)
    ]
    with pytest.raises(IcsError):
        busy(ics(*series))


def test_now_must_be_aware() -> None:
    with pytest.raises(ValueError):
        busy(ics(), now=datetime(2026, 10, 24, 6))


def test_slimming_a_long_history_changes_nothing_but_the_time_it_takes() -> None:
    """Against parsing the whole file: same busy time for windows all through a year of
    single events, moved and cancelled occurrences, long events and weekly series."""
    singles = [
        f"UID:s{n}\nDTSTART:{day:%Y%m%d}T{9 + n % 8:02d}0000Z\nDTEND:{day:%Y%m%d}T{9 + n % 8:02d}45"
        f"00Z\nSUMMARY:one-off {n}\nBEGIN:VALARM\nTRIGGER:-PT5M\nACTION:DISPLAY\nEND:VALARM"
        for n, day in enumerate(utc(2026, 1, 1) + timedelta(days=d) for d in range(0, 365, 2))
    ]
    data = ics(
        *singles,
        # A long timed event (a trip) starting well before the windows that touch it.
        "UID:trip\nDTSTART:20260301T080000Z\nDTEND:20260312T180000Z",
        "UID:dur\nDTSTART:20260301T080000Z\nDURATION:P10D",
        "UID:w\nDTSTART;TZID=Europe/Amsterdam:20250106T100000\n"
        "DTEND;TZID=Europe/Amsterdam:20250106T110000\nRRULE:FREQ=WEEKLY;BYDAY=MO,TH",
        "UID:w\nRECURRENCE-ID;TZID=Europe/Amsterdam:20260309T100000\n"
        "DTSTART;TZID=Europe/Amsterdam:20260311T150000\nDTEND;TZID=Europe/Amsterdam:20260311T160000",
        "UID:w\nRECURRENCE-ID;TZID=Europe/Amsterdam:20261029T100000\nDTSTART;TZID=Europe/Amsterdam"
        ":20261029T100000\nDTEND;TZID=Europe/Amsterdam:20261029T110000\nSTATUS:CANCELLED",
        "UID:f\nDTSTART:20261027T230000\nDTEND:20261028T010000",  # floating, around midnight
    )
    whole = icalendar.Calendar.from_ical(data)
    for day in [*range(55, 75, 3), *range(296, 306, 2)]:
        now = utc(2026, 1, 1, 7) + timedelta(days=day)
        expected = _expand(whole, now, now + timedelta(days=2), ZoneInfo(AMS))
        assert busy(data, now=now) == expected, now
    assert busy(data, now=utc(2026, 3, 8, 7))[0] == (utc(2026, 3, 8, 7), utc(2026, 3, 10, 7))


def test_a_daily_meeting_across_the_spring_change() -> None:
    # 29 March 2026: 02:00 CET becomes 03:00 CEST. 09:00 local is 08:00 UTC before, 07:00 after;
    # an 02:30 meeting falls in the gap on the change day and takes the offset from before it.
    data = ics(
        "UID:d\nDTSTART;TZID=Europe/Amsterdam:20260323T090000\n"
        "DTEND;TZID=Europe/Amsterdam:20260323T093000\nRRULE:FREQ=DAILY;UNTIL=20260331T000000Z",
        "UID:n\nDTSTART;TZID=Europe/Amsterdam:20260329T023000\n"
        "DTEND;TZID=Europe/Amsterdam:20260329T040000",
    )
    assert busy(data, now=utc(2026, 3, 28, 0)) == [
        (utc(2026, 3, 28, 8), utc(2026, 3, 28, 8, 30)),
        (utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 2, 0)),  # 02:30 "CET" to 04:00 CEST
        (utc(2026, 3, 29, 7), utc(2026, 3, 29, 7, 30)),
    ]
