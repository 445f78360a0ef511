"""Busy time from an iCalendar file: pure, no I/O, no clock.

Only when someone is busy is kept (start, end in UTC); titles, descriptions, locations and
attendees are never read into anything that leaves this module. Recurrences with their
exceptions (RRULE, RDATE, EXDATE, RECURRENCE-ID) are expanded by `recurring-ical-events`;
times with a TZID or in UTC are absolute, floating times are read in the user's zone.
All-day events (holidays, "working from home") do not block a one-minute break; events marked
free (TRANSP:TRANSPARENT, or Outlook's busy status FREE) and cancelled events are not busy.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import recurring_ical_events

from bot.scheduling.timemath import zone

HORIZON = timedelta(days=2)
# A floating time can lie up to a day from UTC; the query is widened by that and clipped.
_MARGIN = timedelta(days=1)
# Occurrences read before giving up: a real two-day window has dozens, not thousands.
MAX_OCCURRENCES = 5000
# Series repeating every second or minute are not meetings, and expanding one that started
# years ago would take minutes of CPU: they are left out.
_IGNORED_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY"})

Interval = tuple[datetime, datetime]


class IcsError(ValueError):
    """The file is not a calendar we can read; the message says why, without its content."""


def busy_intervals(
    data: bytes, *, now: datetime, tz_name: str, horizon: timedelta = HORIZON
) -> list[Interval]:
    """Merged busy intervals (UTC start, UTC end) clipped to [now, now + horizon], in order."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    calendar = _parse(data)
    start, end = now.astimezone(UTC), now.astimezone(UTC) + horizon
    tz = zone(tz_name)
    found: list[Interval] = []
    try:
        occurrences = recurring_ical_events.of(calendar).after(start - _MARGIN)
        for count, event in enumerate(occurrences):
            if count >= MAX_OCCURRENCES:
                raise IcsError(f"more than {MAX_OCCURRENCES} events in {horizon}")
            first = _instant(event.get("DTSTART"), tz)
            if first is not None and first >= end + _MARGIN:
                break  # occurrences come in order of their start
            interval = _busy(event, tz)
            if interval is None:
                continue
            clipped = (max(interval[0], start), min(interval[1], end))
            if clipped[0] < clipped[1]:
                found.append(clipped)
    except IcsError:
        raise
    except Exception as exc:  # the libraries raise many types on a bad series
        raise IcsError(f"cannot expand the events: {type(exc).__name__}") from None
    return merge(found)


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, with overlapping and touching intervals joined (back-to-back meetings are one
    busy block: there is no free minute between them)."""
    merged: list[Interval] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _parse(data: bytes) -> icalendar.Calendar:
    try:
        calendar = icalendar.Calendar.from_ical(data)
    except Exception as exc:
        raise IcsError(f"not valid iCalendar: {type(exc).__name__}") from None
    if not isinstance(calendar, icalendar.Calendar) or calendar.name != "VCALENDAR":
        raise IcsError("not a VCALENDAR")
    try:
        for event in list(calendar.walk("VEVENT")):
            rules: Any = event.get("RRULE", [])
            rules = rules if isinstance(rules, list) else [rules]
            frequencies = [str(freq).upper() for rule in rules for freq in rule.get("FREQ", [])]
            if _IGNORED_FREQUENCIES.intersection(frequencies):
                calendar.subcomponents.remove(event)
    except Exception as exc:  # icalendar keeps unparsable values and raises on their use
        raise IcsError(f"unreadable recurrence rule: {type(exc).__name__}") from None
    return calendar


def _busy(event: Any, tz: Any) -> Interval | None:
    """The event's UTC interval when it makes its owner busy, else None."""
    if str(event.get("STATUS", "")).upper() == "CANCELLED":
        return None
    if str(event.get("TRANSP", "OPAQUE")).upper() == "TRANSPARENT":
        return None
    if str(event.get("X-MICROSOFT-CDO-BUSYSTATUS", "")).upper() == "FREE":
        return None
    start_prop: Any = event.get("DTSTART")
    if start_prop is None or not isinstance(start_prop.dt, datetime):
        return None  # all-day (a date), or no start at all
    start = _instant(start_prop, tz)
    end_prop: Any = event.get("DTEND")
    duration: Any = event.get("DURATION")
    if end_prop is not None:
        end = _instant(end_prop, tz)
    elif duration is not None and isinstance(duration.dt, timedelta) and start is not None:
        end = start + duration.dt
    else:
        end = start  # RFC 5545: no end and no duration means an instant, not busy time
    if start is None or end is None or end <= start:
        return None
    return start, end


def _instant(prop: Any, tz: Any) -> datetime | None:
    """A property's time in UTC; a floating time is read in the user's zone; None for dates."""
    if prop is None:
        return None
    value = prop.dt
    if not isinstance(value, datetime):
        return None  # a date: all day
    aware = value if value.tzinfo is not None else value.replace(tzinfo=tz)
    return aware.astimezone(UTC)
