"""The pure rule that moves a reminder out of a meeting, or skips it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from bot.scheduling.busy import (
    busy_at,
    day_end,
    first_free,
    free_between,
    place_slot,
    replace_slot,
)

AMS = "Europe/Amsterdam"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


SLOT = utc(2026, 11, 30, 10, 0)
NEXT = utc(2026, 11, 30, 14, 0)
END = utc(2026, 11, 30, 23, 0)


def place(busy: list[tuple[datetime, datetime]], **kw: object) -> datetime | None:
    options: dict[str, object] = {"next_slot": NEXT, "day_end": END, **kw}
    return place_slot(SLOT, busy, **options)  # type: ignore[arg-type]


def test_a_free_slot_stays() -> None:
    assert place([]) == SLOT
    assert place([(utc(2026, 11, 30, 8), utc(2026, 11, 30, 10))]) == SLOT  # ended at the slot
    assert place([(utc(2026, 11, 30, 10, 1), utc(2026, 11, 30, 11))]) == SLOT  # starts after


def test_a_slot_in_a_meeting_moves_two_minutes_after_it() -> None:
    meeting = (utc(2026, 11, 30, 9, 30), utc(2026, 11, 30, 10, 30))
    assert place([meeting]) == utc(2026, 11, 30, 10, 32)
    # The slot at the meeting's very start is inside it.
    assert place([(SLOT, utc(2026, 11, 30, 10, 45))]) == utc(2026, 11, 30, 10, 47)


def test_back_to_back_meetings_move_past_all_of_them() -> None:
    busy = [
        (utc(2026, 11, 30, 9, 30), utc(2026, 11, 30, 10, 0, 30)),
        (utc(2026, 11, 30, 10, 0, 30), utc(2026, 11, 30, 10, 30)),
        # Starts within the two minutes after the previous one ends: still in a meeting.
        (utc(2026, 11, 30, 10, 31), utc(2026, 11, 30, 11, 0)),
    ]
    assert place(busy) == utc(2026, 11, 30, 11, 2)
    assert place(list(reversed(busy))) == utc(2026, 11, 30, 11, 2)  # order does not matter


def test_a_gap_of_two_minutes_is_enough() -> None:
    busy = [
        (utc(2026, 11, 30, 9, 30), utc(2026, 11, 30, 10, 30)),
        (utc(2026, 11, 30, 10, 33), utc(2026, 11, 30, 11, 30)),
    ]
    assert place(busy) == utc(2026, 11, 30, 10, 32)


def test_window_is_inclusive_and_then_skips() -> None:
    assert place([(SLOT, utc(2026, 11, 30, 11, 28))]) == utc(2026, 11, 30, 11, 30)  # 90 min
    assert place([(SLOT, utc(2026, 11, 30, 11, 29))]) is None  # 91 min
    short = timedelta(minutes=30)
    assert place([(SLOT, utc(2026, 11, 30, 10, 40))], window=short) is None


def test_never_onto_or_past_the_next_slot() -> None:
    meeting = [(SLOT, utc(2026, 11, 30, 10, 40))]
    assert place(meeting, next_slot=utc(2026, 11, 30, 10, 43)) == utc(2026, 11, 30, 10, 42)
    assert place(meeting, next_slot=utc(2026, 11, 30, 10, 42)) is None
    assert place(meeting, next_slot=None) == utc(2026, 11, 30, 10, 42)


def test_never_past_the_local_day_end() -> None:
    slot = datetime(2026, 11, 30, 22, 30, tzinfo=UTC)  # 23:30 in Amsterdam
    end = day_end(slot, AMS)
    assert end == utc(2026, 11, 30, 23, 0)
    meeting = [(slot, utc(2026, 11, 30, 22, 50))]
    assert place_slot(slot, meeting, next_slot=None, day_end=end) == utc(2026, 11, 30, 22, 52)
    late = [(slot, utc(2026, 11, 30, 22, 58))]
    assert place_slot(slot, late, next_slot=None, day_end=end) is None  # 00:00 is tomorrow


def test_spring_forward_window_counts_real_minutes() -> None:
    # 29 March 2026, Amsterdam: 02:00 CET jumps to 03:00 CEST. Slot 01:45 CET = 00:45 UTC; the
    # meeting ends 03:30 CEST = 01:30 UTC. On the wall clock the move is 107 minutes; in real
    # time 47, so it moves to 03:32 CEST.
    slot = utc(2026, 3, 29, 0, 45)
    meeting = [(utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 30))]
    moved = place_slot(slot, meeting, next_slot=None, day_end=day_end(slot, AMS))
    assert moved == utc(2026, 3, 29, 1, 32)
    assert moved is not None and moved.astimezone(ZoneInfo(AMS)).strftime("%H:%M") == "03:32"
    # That day has 23 hours.
    assert day_end(slot, AMS) - utc(2026, 3, 28, 23, 0) == timedelta(hours=23)


def test_fall_back_window_counts_real_minutes() -> None:
    # 25 October 2026: 03:00 CEST falls back to 02:00 CET. Slot 02:30 (first, CEST) = 00:30
    # UTC; the meeting ends 02:40 CET (the second 02:40) = 01:40 UTC. The wall clock says 12
    # minutes later, real time 72: outside a 60-minute window, so it is skipped.
    slot = utc(2026, 10, 25, 0, 30)
    meeting = [(utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 1, 40))]
    end = day_end(slot, AMS)
    assert end - utc(2026, 10, 24, 22, 0) == timedelta(hours=25)
    assert place_slot(slot, meeting, next_slot=None, day_end=end, window=timedelta(hours=1)) is (
        None
    )
    assert place_slot(slot, meeting, next_slot=None, day_end=end) == utc(2026, 10, 25, 1, 42)


def test_busy_at_is_start_inclusive_end_exclusive() -> None:
    meeting = (utc(2026, 11, 30, 9), utc(2026, 11, 30, 10))
    assert busy_at(utc(2026, 11, 30, 9), [meeting]) == meeting
    assert busy_at(utc(2026, 11, 30, 10), [meeting]) is None


def test_first_free_is_where_in_a_meeting_sends_the_reminder() -> None:
    now = utc(2026, 11, 30, 10, 15)
    busy = [
        (utc(2026, 11, 30, 11, 0), utc(2026, 11, 30, 12, 0)),
        (utc(2026, 11, 30, 10, 0), utc(2026, 11, 30, 11, 0)),
    ]
    assert first_free(now, busy) == utc(2026, 11, 30, 12, 2)
    assert first_free(utc(2026, 11, 30, 12, 2), busy) == utc(2026, 11, 30, 12, 2)
    assert first_free(now, []) == now


@given(
    spans=st.lists(st.tuples(st.integers(-200, 300), st.integers(1, 120)), max_size=8),
    next_in=st.one_of(st.none(), st.integers(1, 400)),
    end_in=st.integers(1, 400),
    window=st.integers(0, 180),
)
def test_placement_properties(
    spans: list[tuple[int, int]], next_in: int | None, end_in: int, window: int
) -> None:
    minute = timedelta(minutes=1)
    busy = [(SLOT + start * minute, SLOT + (start + length) * minute) for start, length in spans]
    next_slot = None if next_in is None else SLOT + next_in * minute
    end = SLOT + end_in * minute
    placed = place_slot(SLOT, busy, next_slot=next_slot, day_end=end, window=window * minute)
    if busy_at(SLOT, busy) is None:
        assert placed == SLOT
        return
    if placed is None:
        free = first_free(SLOT, busy)
        assert (
            free - SLOT > window * minute
            or (next_slot is not None and free >= next_slot)
            or free >= end
        )
        return
    assert busy_at(placed, busy) is None
    assert SLOT < placed <= SLOT + window * minute
    assert next_slot is None or placed < next_slot
    assert placed < end
    # Two minutes after a meeting's end, and the first such moment after the slot that is
    # neither in a meeting nor within two minutes of one ending.
    assert any(placed == stop + 2 * minute for _, stop in busy)
    earlier = [stop + 2 * minute for _, stop in busy if SLOT < stop + 2 * minute < placed]
    for moment in earlier:
        too_soon = any(stop <= moment < stop + 2 * minute for _, stop in busy)
        assert busy_at(moment, busy) is not None or too_soon


@given(
    spans=st.lists(st.tuples(st.integers(-200, 300), st.integers(1, 120)), max_size=8),
    planned_in=st.integers(1, 90),
    now_in=st.integers(-10, 120),
    next_in=st.one_of(st.none(), st.integers(1, 400)),
    window=st.integers(0, 180),
)
def test_replacing_a_moved_slot_properties(
    spans: list[tuple[int, int]], planned_in: int, now_in: int, next_in: int | None, window: int
) -> None:
    minute = timedelta(minutes=1)
    busy = [(SLOT + start * minute, SLOT + (start + length) * minute) for start, length in spans]
    planned, now = SLOT + planned_in * minute, SLOT + now_in * minute
    next_slot = None if next_in is None else SLOT + next_in * minute
    placed = replace_slot(
        SLOT, planned, busy, now=now, next_slot=next_slot, day_end=END, window=window * minute
    )
    at = max(planned, now)
    if busy_at(at, busy) is None:
        assert placed == planned  # still free when it would be sent: nothing changes
        return
    if placed is None:  # skipped only when the first free moment breaks a limit
        free = first_free(at, busy)
        assert free - SLOT > window * minute or (next_slot is not None and free >= next_slot)
        return
    assert placed > at and busy_at(placed, busy) is None  # later, and free
    assert placed - SLOT <= window * minute and (next_slot is None or placed < next_slot)
    assert placed == first_free(at, busy)


def test_free_between_an_early_claim_and_its_slot() -> None:
    minute = timedelta(minutes=1)
    before = SLOT - minute
    assert free_between(before, SLOT, [])
    assert free_between(before, SLOT, [(SLOT - 10 * minute, before)])  # ended just before
    assert free_between(before, SLOT, [(SLOT, SLOT + minute)])  # starts at the slot
    assert not free_between(before, SLOT, [(SLOT - 10 * minute, SLOT - minute / 3)])
    assert not free_between(before, SLOT, [(SLOT - minute / 2, SLOT - minute / 4)])
