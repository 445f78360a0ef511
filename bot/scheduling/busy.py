"""Where a reminder goes when its slot falls in a meeting: a pure rule of instants.

A slot inside a busy interval moves to the first free minute after it, two minutes after the
meeting ends (a moment to close the call), and on past any meeting that is still running
then. It moves only within a window (90 minutes by default), never onto or past the chat's
next slot (that reminder takes over), and never past the end of the chat's local day; when it
cannot move it is skipped. All arithmetic is on UTC instants, so a window spanning a
daylight-saving change is measured in real minutes, not wall-clock ones.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from bot.scheduling.timemath import local_date, local_day_bounds

WINDOW = timedelta(minutes=90)
AFTER_MEETING = timedelta(minutes=2)

Interval = tuple[datetime, datetime]


def busy_at(instant: datetime, busy: Sequence[Interval]) -> Interval | None:
    """The busy interval covering the instant (start included, end excluded), if any."""
    for start, end in busy:
        if start <= instant < end:
            return start, end
    return None


def free_between(start: datetime, end: datetime, busy: Sequence[Interval]) -> bool:
    """No busy interval overlaps [start, end): a reminder claimed early (a crowded minute)
    may go out at any moment from `start` to its slot `end` without landing in a meeting."""
    return not any(b_start < end and b_end > start for b_start, b_end in busy)


def first_free(instant: datetime, busy: Sequence[Interval]) -> datetime:
    """The instant itself when it is free, else two minutes after the busy block around it
    ends (past back-to-back meetings too): also where "In a meeting" sends a reminder."""
    candidate = instant
    # Each step jumps past one interval for good (the candidate only grows), so this ends
    # within len(busy) steps for unsorted, overlapping or back-to-back intervals alike.
    while (covering := busy_at(candidate, busy)) is not None:
        candidate = covering[1] + AFTER_MEETING
    return candidate


def place_slot(
    slot: datetime,
    busy: Sequence[Interval],
    *,
    next_slot: datetime | None,
    day_end: datetime,
    window: timedelta = WINDOW,
) -> datetime | None:
    """When to send the slot's reminder: the slot itself when it is free, the moved instant,
    or None when it must be skipped."""
    candidate = first_free(slot, busy)
    if candidate == slot:
        return slot
    return candidate if _fits(slot, candidate, next_slot, day_end, window) else None


def replace_slot(
    slot: datetime,
    planned: datetime,
    busy: Sequence[Interval],
    *,
    now: datetime,
    next_slot: datetime | None,
    day_end: datetime,
    window: timedelta = WINDOW,
) -> datetime | None:
    """A moved slot checked again against newer busy time (the meeting ran longer, or another
    was put over the moved time): `planned` when the moment it would be sent (`planned`, or
    `now` once that has passed) is free; otherwise the first free minute after it, within the
    same limits as the first move, measured from the slot itself; None: skip it. It moves only
    later, never back to a time already promised or gone."""
    at = max(planned, now)
    if busy_at(at, busy) is None:
        return planned
    candidate = first_free(at, busy)
    return candidate if _fits(slot, candidate, next_slot, day_end, window) else None


def _fits(
    slot: datetime,
    candidate: datetime,
    next_slot: datetime | None,
    day_end: datetime,
    window: timedelta,
) -> bool:
    """Whether a slot may still be sent at `candidate`: within the window after the slot,
    before the chat's next slot (that reminder takes over) and before the local day ends."""
    if candidate - slot > window:
        return False
    if next_slot is not None and candidate >= next_slot:
        return False
    return candidate < day_end


def day_end(slot: datetime, tz_name: str) -> datetime:
    """The UTC instant at which the slot's local day ends (23, 24 or 25 hours after it began)."""
    return local_day_bounds(local_date(slot, tz_name), tz_name)[1]
