"""Busy time from an iCalendar file: pure, no I/O, no clock.

Only when someone is busy is kept (start, end in UTC); titles, descriptions, locations and
attendees are never read into anything that leaves this module. Recurrences with their
exceptions (RRULE, RDATE, EXDATE, RECURRENCE-ID) are expanded by `recurring-ical-events`;
times with a TZID or in UTC are absolute, floating times are read in the user's zone.
All-day events (holidays, "working from home") do not block a one-minute break; events marked
free (TRANSP:TRANSPARENT, or Outlook's busy status FREE) and cancelled events are not busy.

A published calendar carries years of history (a 4 MB file of 12,000 events took icalendar
4.4 s to parse). Before parsing, a text pass keeps only the properties that say when and
whether someone is busy, and drops single events that lie days away from the window; only
what remains is parsed and expanded. It is still CPU work: call it in a worker thread.
"""

from __future__ import annotations

import re
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

# The event properties busy time is computed from; everything else (SUMMARY, DESCRIPTION,
# LOCATION, ATTENDEE, alarms, ...) is dropped before parsing.
_KEPT = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "STATUS",
        "TRANSP",
        "X-MICROSOFT-CDO-BUSYSTATUS",
    }
)
_REPEATING = frozenset({"RRULE", "RDATE", "EXRULE", "RECURRENCE-ID"})
# Single events this many days from the window cannot touch it, whatever their time zone.
_SLIM_DAYS = timedelta(days=3)
_FOLD = re.compile(r"\r?\n[ \t]")
_NAME = re.compile(r"^([A-Za-z0-9-]+)")
# The value after the parameters; a quoted parameter may itself contain ':'.
_VALUE = re.compile(r'^(?:[^:"]|"[^"]*")*:(.*)$')


class IcsError(ValueError):
    """The file is not a calendar we can read; the message says why, without its content."""


def busy_intervals(
    data: bytes, *, now: datetime, tz_name: str, horizon: timedelta = HORIZON
) -> list[Interval]:
    """Merged busy intervals (UTC start, UTC end) clipped to [now, now + horizon], in order."""
    if now.tzinfo is None:
        raise ValueError("now must be aware")
    start, end = now.astimezone(UTC), now.astimezone(UTC) + horizon
    calendar = _parse(_slim(data, start - _SLIM_DAYS, end + _SLIM_DAYS))
    return _expand(calendar, start, end, zone(tz_name))


def _expand(
    calendar: icalendar.Calendar, start: datetime, end: datetime, tz: Any
) -> list[Interval]:
    """The merged busy intervals of a parsed calendar within [start, end)."""
    found: list[Interval] = []
    try:
        # One query over the whole window: `after()` pages through growing windows and
        # re-expands every series for each page, several times slower on long histories.
        occurrences = recurring_ical_events.of(calendar).between(start - _MARGIN, end + _MARGIN)
        if len(occurrences) > MAX_OCCURRENCES:
            raise IcsError(f"more than {MAX_OCCURRENCES} events in {end - start}")
        for event in occurrences:
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


def _slim(data: bytes, low: datetime, high: datetime) -> str:
    """The calendar as text with only busy-time properties, and without single events that
    end before `low` or start after `high` (compared by date, which is all a margin of days
    needs). Structure is left alone, so a malformed file stays malformed for the parser."""
    text = _FOLD.sub("", data.decode("utf-8", errors="replace"))
    low_day, high_day = low.strftime("%Y%m%d"), high.strftime("%Y%m%d")
    out: list[str] = []
    event: list[str] | None = None
    nested = 0  # depth inside an event's subcomponents (alarms)
    for line in text.splitlines():
        match = _NAME.match(line)
        name = match.group(1).upper() if match else ""
        upper = line.strip().upper()
        if event is None:
            if upper == "BEGIN:VEVENT":
                event = [line]
            else:
                out.append(line)
            continue
        if upper.startswith("BEGIN:"):
            nested += 1
        elif upper.startswith("END:") and nested:
            nested -= 1
        elif upper == "END:VEVENT":
            event.append(line)
            if _near(event, low_day, high_day):
                out.extend(event)
            event = None
        elif not nested and name in _KEPT:
            event.append(line)
    if event is not None:  # unterminated: let the parser judge it as it is
        out.extend(event)
    return "\r\n".join(out) + "\r\n"


def _near(event: list[str], low_day: str, high_day: str) -> bool:
    """Can this event touch the window? Repeating ones always may."""
    dates: dict[str, str] = {}
    for line in event:
        match = _NAME.match(line)
        name = match.group(1).upper() if match else ""
        if name in _REPEATING:
            return True
        value = _VALUE.match(line)
        if name in ("DTSTART", "DTEND", "DURATION") and value:
            dates[name] = value.group(1).strip()[:8]
    start = dates.get("DTSTART", "")
    if not start.isdigit():
        return True
    if start > high_day:
        return False
    if "DURATION" in dates:
        return True
    end = dates.get("DTEND", start)
    return not (end.isdigit() and end < low_day)


def _parse(data: str) -> icalendar.Calendar:
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
